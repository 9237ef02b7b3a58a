"""Property: whatever a worker does in its worktree, teardown then restore gives it all back.

Random sequences of file creations, edits, deletions, renames, mode changes, symlinks, staging,
unstaging and commits; then teardown and restore must reproduce every byte and mode, which
changes were staged, unstaged or untracked (`git status --porcelain=v2`, `git diff --cached`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from gitkit import git, init_repo, worktree_state
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cockpit.runtime.git_repo import GitRepo
from cockpit.runtime.teardown import restore, teardown

pytestmark = pytest.mark.integration  # real git repositories

PATHS = ["a.txt", "b.bin", "sub/c.txt", "sub/deep/d.txt", "README.md", "src/app.py", "run.sh", "link", "x.log"]
path = st.sampled_from(PATHS)
content = st.one_of(st.binary(max_size=48), st.text(max_size=40).map(str.encode), st.sampled_from([b"", b"hello\n", b"\0\xff\0"]))
operation = st.one_of(
    st.tuples(st.just("write"), path, content, st.booleans()),
    st.tuples(st.just("symlink"), path, st.sampled_from(["a.txt", "missing", "../outside", "sub/c.txt"])),
    st.tuples(st.just("delete"), path),
    st.tuples(st.just("rename"), path, path),
    st.tuples(st.just("chmod"), path, st.booleans()),
    st.tuples(st.just("stage"), path),
    st.tuples(st.just("unstage"), path),
    st.tuples(
        st.just("stage_all"),
    ),
    st.tuples(
        st.just("commit"),
    ),
)


def _apply(wt: Path, op: tuple) -> None:
    kind = op[0]
    target = wt / op[1] if len(op) > 1 and isinstance(op[1], str) else wt
    if kind in ("write", "symlink"):
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()  # write through a symlink would change its target instead
        if kind == "symlink":
            if target.exists():
                target.unlink()
            os.symlink(op[2], target)
        else:
            target.write_bytes(op[2])
            target.chmod(0o755 if op[3] else 0o644)
    elif kind == "delete" and os.path.lexists(target):
        target.unlink()
    elif kind == "rename" and os.path.lexists(target) and op[1] != op[2]:
        destination = wt / op[2]
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(target, destination)
    elif kind == "chmod" and target.is_file() and not target.is_symlink():
        target.chmod(0o755 if op[2] else 0o644)
    elif kind == "stage":
        git(wt, "add", "-A", "--", op[1], check=False)
    elif kind == "unstage":
        git(wt, "restore", "--staged", "--", op[1], check=False)
    elif kind == "stage_all":
        git(wt, "add", "-A")
    elif kind == "commit":
        git(wt, "commit", "-q", "--allow-empty", "-m", "worker commit")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=1, max_size=14))
def test_teardown_then_restore_gives_back_everything(operations: list[tuple]) -> None:
    with tempfile.TemporaryDirectory(prefix="cockpit-prop-") as tmp:
        root = init_repo(Path(tmp) / "repo")
        repo = GitRepo(root, Path(tmp) / "state" / "git.lock")
        wt = repo.create_worktree("prop", Path(tmp) / "state" / "wt" / "prop", "main")
        for op in operations:
            _apply(wt.path, op)
        before = worktree_state(wt.path)
        result = teardown(repo, "prop", wt.path, wt.branch, wt.base_commit, None)
        assert not wt.path.exists() and not repo.branch_exists(wt.branch)
        assert git(root, "status", "--porcelain") == ""
        if result.classification.kind == "clean":
            assert before.status == b"" and before.head == wt.base_commit
            assert result.archive_ref is None
            return
        assert result.classification.kind in ("committed", "dirty")
        assert result.archive_ref == "refs/cockpit/archive/prop"
        restore(repo, "prop", wt.path)
        assert worktree_state(wt.path) == before
        # And a second round trip from the restored worktree keeps giving the same state.
        teardown(repo, "prop", wt.path, wt.branch, wt.base_commit, None)
        restore(repo, "prop", wt.path)
        assert worktree_state(wt.path) == before
