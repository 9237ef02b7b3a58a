"""Promotion at the git level (real repositories, no supervisor): exactly the judged tree, never a lost byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from gatekit import git

from cockpit.errors import CheckFailed
from cockpit.runtime.diffs import worktree_diff
from cockpit.runtime.git_repo import GitRepo
from cockpit.runtime.promotion import PromotionRefused, promote

ID = "0000000001"


@pytest.fixture
def setup(repo: Path, tmp_path: Path) -> tuple[GitRepo, Path, str]:
    gitrepo = GitRepo(repo, tmp_path / "git.lock")
    info = gitrepo.create_worktree(ID, tmp_path / "wt", "main")
    return gitrepo, info.path, info.base_commit


def judge(gitrepo: GitRepo, worktree: Path, base: str):
    return worktree_diff(gitrepo, worktree, base)


def test_what_merges_is_the_judged_tree_not_what_came_after(setup) -> None:
    gitrepo, worktree, base = setup
    (worktree / "judged.txt").write_text("judged\n")
    diff = judge(gitrepo, worktree, base)
    (worktree / "later.txt").write_text("written after judging\n")  # not judged: must not merge
    result = promote(
        gitrepo,
        dispatch_id=ID,
        worktree=worktree,
        branch=f"cockpit/{ID}",
        diff=diff,
        target="main",
        strategy="merge",
        message="promote",
    )
    files = git(gitrepo.toplevel, "ls-tree", "-r", "--name-only", result.commit).split()
    assert "judged.txt" in files and "later.txt" not in files
    assert result.committed_uncommitted and result.worktree_synced
    assert (worktree / "later.txt").read_text() == "written after judging\n"  # still there, untouched
    assert git(worktree, "status", "--porcelain") == "?? later.txt\n"


def test_squash_leaves_a_worktree_that_changed_meanwhile_alone(setup) -> None:
    gitrepo, worktree, base = setup
    (worktree / "a.txt").write_text("one\n")
    git(worktree, "add", "a.txt")
    git(worktree, "commit", "-q", "-m", "a")
    diff = judge(gitrepo, worktree, base)
    (gitrepo.toplevel / "m.txt").write_text("main\n")  # the target moves: the squash rewrites history
    git(gitrepo.toplevel, "add", "m.txt")
    git(gitrepo.toplevel, "commit", "-q", "-m", "m")
    (worktree / "m.txt").write_text("the agent's own m.txt, not committed\n")  # reset --keep must not clobber it
    result = promote(
        gitrepo,
        dispatch_id=ID,
        worktree=worktree,
        branch=f"cockpit/{ID}",
        diff=diff,
        target="main",
        strategy="squash",
        message="promote",
    )
    assert not result.worktree_synced
    assert (worktree / "m.txt").read_text() == "the agent's own m.txt, not committed\n"
    assert git(worktree, "rev-parse", "HEAD").strip() == diff.head  # the branch stayed where it was
    assert git(gitrepo.toplevel, "show", f"{result.commit}:a.txt") == "one\n"
    assert git(gitrepo.toplevel, "rev-parse", f"refs/cockpit/promoted/{ID}").strip() == diff.head


def test_refusals_change_nothing(setup) -> None:
    gitrepo, worktree, base = setup
    (worktree / "README.md").write_text("worker\n")
    diff = judge(gitrepo, worktree, base)
    (gitrepo.toplevel / "README.md").write_text("main\n")
    git(gitrepo.toplevel, "commit", "-q", "-am", "main")
    main = git(gitrepo.toplevel, "rev-parse", "main").strip()
    for strategy in ("merge", "squash", "rebase"):
        with pytest.raises(PromotionRefused) as caught:
            promote(
                gitrepo,
                dispatch_id=ID,
                worktree=worktree,
                branch=f"cockpit/{ID}",
                diff=diff,
                target="main",
                strategy=strategy,
                message="promote",
            )
        assert caught.value.needs_changes and "conflicts in: README.md" in str(caught.value)
        assert isinstance(caught.value, CheckFailed) and caught.value.exit_code == 1
    assert git(gitrepo.toplevel, "rev-parse", "main").strip() == main
    assert git(worktree, "rev-parse", "HEAD").strip() == diff.head  # the worker's branch did not move either
    assert (worktree / "README.md").read_text() == "worker\n"
    assert git(gitrepo.toplevel, "worktree", "list").count("\n") == 2  # no scratch worktree left
