"""A throwaway git worktree holding exactly the diff a reviewer judges.

Agent CLIs review inside a repository: `codex exec` refuses to run outside one, and
others read `git diff` / `git log` to see the change. So the reviewer's directory is a
detached worktree at the dispatch's head commit, with its uncommitted changes (the
judged tree) applied as uncommitted changes again: `git diff HEAD` shows them, new files
are untracked, the commits since the base are in `git log`. The dispatch's own worktree
is never touched. It lives in a temporary directory and is removed afterwards, worktree
registration included.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cockpit.runtime.diffs import WorktreeDiff
from cockpit.runtime.git_repo import GitRepo


def create_review_tree(repo: GitRepo, diff: WorktreeDiff, parent: Path) -> Path:
    """Make `parent/tree`: HEAD = diff.head, files = diff.tree, index = HEAD (changes unstaged)."""
    path = parent / "tree"
    with repo.lock:
        repo.run_git("worktree", "add", "--detach", "--quiet", str(path), diff.head)
    head_tree = repo.run_git("rev-parse", f"{diff.head}^{{tree}}")
    if head_tree != diff.tree:
        # Two-tree read-tree moves the files from HEAD's tree to the judged tree; the mixed
        # reset then puts the index back on HEAD, so the changes read as uncommitted.
        repo.run_git("read-tree", "-m", "-u", head_tree, diff.tree, cwd=path)
        repo.run_git("reset", "--quiet", cwd=path)
    return path


def remove_review_tree(repo: GitRepo, path: Path) -> None:
    with repo.lock:
        repo.try_git("worktree", "remove", "--force", "--force", str(path))
        shutil.rmtree(path, ignore_errors=True)
        repo.try_git("worktree", "prune")


@contextmanager
def review_tree(repo: GitRepo, diff: WorktreeDiff) -> Iterator[Path]:
    """A temporary review worktree of `diff`, removed (and unregistered) on the way out."""
    parent = Path(tempfile.mkdtemp(prefix="cockpit-review-"))
    path: Path | None = None
    try:
        path = create_review_tree(repo, diff, parent)
        yield path
    finally:
        if path is not None or (parent / "tree").exists():
            remove_review_tree(repo, parent / "tree")
        shutil.rmtree(parent, ignore_errors=True)
