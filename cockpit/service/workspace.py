"""One repository as cockpit sees it: its state directory, ledger, store and catalog."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from cockpit.runtime.repo_discovery import RepoInfo, discover_repo
from cockpit.runtime.statedir import StateDir

if TYPE_CHECKING:  # imported when first used: a CLI call that only talks to the supervisor stays fast
    from cockpit.ledger import Ledger
    from cockpit.runtime.git_repo import GitRepo
    from cockpit.store import Recorder, Store


class Workspace:
    def __init__(self, repo: RepoInfo, state: StateDir) -> None:
        self.repo = repo
        self.state = state

    @classmethod
    def open(cls, cwd: Path | None = None, *, create: bool = True) -> Workspace:
        """Find the repository around `cwd` (UsageError outside one); create state if asked."""
        repo = discover_repo(Path.cwd() if cwd is None else cwd)
        state = StateDir.for_repo(repo.toplevel, repo.common_dir)
        workspace = cls(repo, state)
        if create:
            state.ensure()
        return workspace

    @cached_property
    def ledger(self) -> Ledger:
        from cockpit.ledger import Ledger

        return Ledger(self.state.ledger_dir)

    @cached_property
    def store(self) -> Store:
        from cockpit.store import Store

        return Store(self.state.db_path, self.state.ledger_dir)

    @cached_property
    def recorder(self) -> Recorder:
        from cockpit.store import Recorder

        return Recorder(self.ledger, self.store)

    @cached_property
    def git(self) -> GitRepo:
        from cockpit.runtime.git_repo import GitRepo

        return GitRepo(self.repo.toplevel, self.state.git_lock)

    def close(self) -> None:
        if "ledger" in self.__dict__:
            self.ledger.close()
        if "store" in self.__dict__:
            self.store.close()
