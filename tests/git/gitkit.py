"""Helpers for the git adapter tests: a real repository, and the full observable state of a worktree."""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cockpit.runtime.git_repo import GitRepo

TEST_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def git(cwd: Path, *args: str, check: bool = True) -> str:
    """Run git as a user would (with an identity given per command, none configured)."""
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **TEST_IDENTITY}, capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def git_bytes(cwd: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **TEST_IDENTITY}, capture_output=True, check=True).stdout


def init_repo(root: Path) -> Path:
    """A repository on `main` with a few files, an executable, a symlink and an ignore rule."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("hello\n")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("print('app')\n")
    (root / "run.sh").write_text("#!/bin/sh\necho run\n")
    (root / "run.sh").chmod(0o755)
    os.symlink("README.md", root / "link")
    (root / ".gitignore").write_text("*.log\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def open_repo(root: Path) -> GitRepo:
    return GitRepo(root, root.parent / "state" / "git.lock")


def commit_all(cwd: Path, message: str = "work") -> str:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "--allow-empty", "-m", message)
    return git(cwd, "rev-parse", "HEAD").strip()


def files_on_disk(root: Path, *, skip_suffix: str = ".log") -> dict[str, tuple[str, int, bytes]]:
    """path -> (kind, exec bit, content or link target) for every file under root but .git."""
    found: dict[str, tuple[str, int, bytes]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            if name == ".git" or name.endswith(skip_suffix):
                continue
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                found[rel] = ("link", 0, os.readlink(path).encode())
            else:
                found[rel] = ("file", os.stat(path).st_mode & stat.S_IXUSR, path.read_bytes())
    return found


@dataclass(frozen=True)
class WorktreeState:
    head: str
    status: bytes
    cached_diff: bytes
    unstaged_diff: bytes
    files: dict[str, tuple[str, int, bytes]]


def worktree_state(worktree: Path) -> WorktreeState:
    return WorktreeState(
        head=git(worktree, "rev-parse", "HEAD").strip(),
        status=git_bytes(worktree, "status", "--porcelain=v2", "-z", "--untracked-files=all"),
        cached_diff=git_bytes(worktree, "diff", "--cached", "--binary", "--full-index"),
        unstaged_diff=git_bytes(worktree, "diff", "--binary", "--full-index"),
        files=files_on_disk(worktree),
    )


def index_file(worktree: Path) -> Path:
    return Path(git(worktree, "rev-parse", "--path-format=absolute", "--git-path", "index").strip())
