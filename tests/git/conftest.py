"""Fixtures for the git adapter tests: real repositories under tmp_path, no user git config."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitkit import init_repo, open_repo

from cockpit.runtime.git_repo import GitRepo


@pytest.fixture(autouse=True)
def _no_user_git_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # No identity, no signing, no hooks from the user's config: cockpit's own commits must not need them.
    empty = tmp_path_factory.mktemp("gitconfig") / "config"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def main_repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo")


@pytest.fixture
def grepo(main_repo: Path) -> GitRepo:
    return open_repo(main_repo)


@pytest.fixture
def wt_root(tmp_path: Path) -> Path:
    """Where worktrees go: a state directory beside, never inside, the checkout."""
    return tmp_path / "state" / "worktrees"
