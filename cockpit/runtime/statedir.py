"""Where cockpit keeps a repository's state: outside the user's tree, one directory per repository.

Base: $COCKPIT_HOME, else $XDG_STATE_HOME/cockpit, else ~/.local/state/cockpit.
Key:  <repository folder name>-<12 hex of sha256(real path of the git common dir)>,
so every linked worktree of a repository shares one state directory.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from cockpit.errors import UsageError
from cockpit.runtime.private_files import private_dir, write_private

_SOCKET_PATH_LIMIT = 100  # sun_path is 108 bytes on Linux; keep a margin


def state_base(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("COCKPIT_HOME"):
        return Path(env["COCKPIT_HOME"]).expanduser()
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]).expanduser() / "cockpit"
    return Path.home() / ".local" / "state" / "cockpit"


def repo_key(toplevel: Path, common_dir: Path) -> str:
    digest = hashlib.sha256(str(Path(common_dir).resolve()).encode()).hexdigest()[:12]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(toplevel).name) or "repo"
    return f"{name[:40]}-{digest}"


class StateDir(NamedTuple):  # not a dataclass: every CLI call makes one, and `dataclasses` costs ~10 ms to import
    root: Path
    repo_root: Path
    common_dir: Path

    @classmethod
    def for_repo(cls, toplevel: Path, common_dir: Path, env: Mapping[str, str] | None = None) -> StateDir:
        root = state_base(env) / repo_key(toplevel, common_dir)
        return cls(root=root, repo_root=Path(toplevel), common_dir=Path(common_dir))

    # -- layout ------------------------------------------------------------------

    @property
    def ledger_dir(self) -> Path:
        return self.root

    @property
    def db_path(self) -> Path:
        return self.root / "state.db"

    @property
    def worktrees(self) -> Path:
        return self.root / "worktrees"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def signals(self) -> Path:
        """Where each worker's CLI appends its structured signals ($COCKPIT_SIGNALS)."""
        return self.root / "signals"

    @property
    def git_lock(self) -> Path:
        return self.root / "git.lock"

    @property
    def supervisor_lock(self) -> Path:
        return self.root / "supervisor.lock"

    @property
    def supervisor_log(self) -> Path:
        return self.root / "supervisor.log"

    @property
    def supervisor_progress(self) -> Path:
        """While a starting supervisor folds the ledger: how far it got (JSON), for waiting clients."""
        return self.root / "supervisor.progress"

    def worktree(self, dispatch_id: str) -> Path:
        return self.worktrees / dispatch_id

    def log(self, dispatch_id: str) -> Path:
        return self.logs / f"{dispatch_id}.log"

    def signal_file(self, dispatch_id: str) -> Path:
        return self.signals / f"{dispatch_id}.ndjson"

    def dispatch_dir(self, dispatch_id: str) -> Path:
        return self.root / "dispatches" / dispatch_id

    def reports_dir(self, dispatch_id: str) -> Path:
        return self.root / "reports" / dispatch_id

    @property
    def socket_path(self) -> Path:
        """The supervisor's channel. In the state dir when the path fits a unix socket."""
        inside = self.root / "supervisor.sock"
        if len(str(inside)) <= _SOCKET_PATH_LIMIT:
            return inside
        runtime = Path(os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/cockpit-{os.getuid()}")
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        return runtime / f"cockpit-{digest}.sock"

    @property
    def exists(self) -> bool:
        return (self.root / "repo.json").exists()

    # -- creation ----------------------------------------------------------------------

    def ensure(self) -> bool:
        """Create the directory tree (0700) and its repo.json; True when it was new."""
        created = not self.exists
        try:
            for path in (self.root, self.worktrees, self.logs, self.signals, self.root / "dispatches", self.root / "reports"):
                private_dir(path)
            if created:
                tmp = self.root / "repo.json.tmp"
                write_private(
                    tmp, (json.dumps({"repo": str(self.repo_root), "common_dir": str(self.common_dir)}, indent=2) + "\n").encode()
                )
                os.replace(tmp, self.root / "repo.json")
        except OSError as exc:
            raise UsageError(
                f"cannot create the state directory {self.root}: {exc.strerror}",
                hint="set COCKPIT_HOME to a writable directory",
            ) from None
        self._exclude_from_git_if_inside()
        return created

    def _exclude_from_git_if_inside(self) -> None:
        """If the state dir lies inside the repository (say a dotfiles repo at ~), keep it out
        of `git status` through the repository's untracked info/exclude file."""
        try:
            relative = self.root.resolve().relative_to(self.repo_root.resolve())
        except ValueError:
            return
        exclude = self.common_dir / "info" / "exclude"
        line = f"/{relative.as_posix()}/"
        existing = exclude.read_text() if exclude.exists() else ""
        if line not in existing.splitlines():
            exclude.parent.mkdir(parents=True, exist_ok=True)
            with open(exclude, "a") as handle:
                handle.write(("" if existing.endswith("\n") or not existing else "\n") + line + "\n")
