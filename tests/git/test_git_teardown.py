"""Classification, teardown and restore: nothing a worker did may be lost."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from gitkit import commit_all, git, worktree_state

from cockpit.errors import CheckFailed, UsageError
from cockpit.runtime.git_repo import GitRepo, WorktreeInfo
from cockpit.runtime.teardown import archive_exists, classify, list_archives, restore, teardown


def _new(grepo: GitRepo, wt_root: Path, dispatch_id: str) -> WorktreeInfo:
    return grepo.create_worktree(dispatch_id, wt_root / dispatch_id, "HEAD")


def _teardown(grepo: GitRepo, wt: WorktreeInfo, dispatch_id: str, target: str | None = None):
    return teardown(grepo, dispatch_id, wt.path, wt.branch, wt.base_commit, target)


def test_classify_each_kind(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    clean = _new(grepo, wt_root, "clean")
    c = classify(grepo, clean.path, clean.branch, clean.base_commit, None)
    assert (c.kind, c.commits_ahead, c.changed, c.untracked, c.worktree_exists) == ("clean", 0, 0, 0, True)

    dirty = _new(grepo, wt_root, "dirty")
    (dirty.path / "README.md").write_text("edited\n")
    (dirty.path / "new.txt").write_text("new\n")
    (dirty.path / "debug.log").write_text("ignored\n")
    git(dirty.path, "add", "README.md")
    (dirty.path / "src" / "app.py").unlink()
    c = classify(grepo, dirty.path, dirty.branch, dirty.base_commit, None)
    assert (c.kind, c.changed, c.untracked, c.ignored) == ("dirty", 2, 1, ["debug.log"])

    committed = _new(grepo, wt_root, "committed")
    (committed.path / "c.txt").write_text("c\n")
    head = commit_all(committed.path)
    c = classify(grepo, committed.path, committed.branch, committed.base_commit, None)
    assert (c.kind, c.head, c.commits_ahead) == ("committed", head, 1)

    # Committed and untracked: dirty wins.
    (committed.path / "more.txt").write_text("more\n")
    assert classify(grepo, committed.path, committed.branch, committed.base_commit, None).kind == "dirty"
    (committed.path / "more.txt").unlink()

    git(main_repo, "merge", "-q", "--ff-only", committed.branch)
    c = classify(grepo, committed.path, committed.branch, committed.base_commit, None)
    assert (c.kind, c.commits_ahead) == ("merged", 1)
    git(main_repo, "branch", "other", committed.base_commit)
    assert classify(grepo, committed.path, committed.branch, committed.base_commit, "other").kind == "committed"
    with pytest.raises(UsageError, match="unknown ref"):
        classify(grepo, committed.path, committed.branch, committed.base_commit, "missing")


def test_teardown_clean_and_merged_remove_without_archive(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    clean = _new(grepo, wt_root, "clean")
    result = _teardown(grepo, clean, "clean")
    assert (result.classification.kind, result.archive_ref, result.already_gone) == ("clean", None, False)
    merged = _new(grepo, wt_root, "merged")
    (merged.path / "m.txt").write_text("m\n")
    commit_all(merged.path)
    git(main_repo, "merge", "-q", "--ff-only", merged.branch)
    result = _teardown(grepo, merged, "merged")
    assert (result.classification.kind, result.archive_ref) == ("merged", None)
    for wt, dispatch_id in ((clean, "clean"), (merged, "merged")):
        assert not wt.path.exists() and not grepo.branch_exists(wt.branch)
        assert not archive_exists(grepo, dispatch_id)
    assert git(main_repo, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert git(main_repo, "status", "--porcelain") == ""


def test_teardown_committed_and_dirty_archive_then_remove(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    committed = _new(grepo, wt_root, "committed")
    (committed.path / "c.txt").write_text("c\n")
    head = commit_all(committed.path)
    result = _teardown(grepo, committed, "committed")
    assert result.classification.kind == "committed"
    assert result.archive_ref == "refs/cockpit/archive/committed"
    assert git(main_repo, "rev-parse", f"{result.archive_ref}^1").strip() == head
    assert not committed.path.exists() and not grepo.branch_exists(committed.branch)

    dirty = _new(grepo, wt_root, "dirty")
    (dirty.path / "u.txt").write_text("untracked\n")
    result = _teardown(grepo, dirty, "dirty")
    assert result.classification.kind == "dirty"
    assert git(main_repo, "show", f"{result.archive_commit}:u.txt") == "untracked\n"
    author = git(main_repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", result.archive_commit).strip()
    assert author == "cockpit <cockpit@localhost>|cockpit <cockpit@localhost>|cockpit archive of dirty: uncommitted changes"
    assert not dirty.path.exists() and not grepo.branch_exists(dirty.branch)
    assert list_archives(grepo) == {
        "committed": git(main_repo, "rev-parse", "refs/cockpit/archive/committed").strip(),
        "dirty": result.archive_commit,
    }
    assert git(main_repo, "status", "--porcelain") == ""
    assert git(main_repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def _make_every_kind_of_change(wt: Path) -> None:
    (wt / "feature.py").write_text("x = 1\n")
    commit_all(wt, "a commit of the worker")
    (wt / "bin.dat").write_bytes(bytes(range(256)) * 4 + b"\0\xff")
    (wt / "tool.sh").write_text("#!/bin/sh\n")
    (wt / "tool.sh").chmod(0o755)
    (wt / "run.sh").chmod(0o644)  # exec bit dropped, unstaged
    os.symlink("src/app.py", wt / "applink")
    git(wt, "add", "bin.dat", "tool.sh", "applink")
    (wt / "tool.sh").write_text("#!/bin/sh\necho changed after staging\n")  # staged and unstaged
    git(wt, "mv", "src/app.py", "src/main.py")  # a staged rename
    (wt / "README.md").unlink()  # an unstaged deletion
    git(wt, "rm", "-q", "--cached", "link")  # staged deletion; the symlink stays, untracked
    (wt / "notes").mkdir()
    (wt / "notes" / "todo.txt").write_text("untracked\n")
    (wt / "feature.py").write_text("x = 2\n")
    (wt / "scratch.log").write_text("ignored: not archived\n")


def test_restore_brings_back_every_byte_and_the_staged_split(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    wt = _new(grepo, wt_root, "every")
    _make_every_kind_of_change(wt.path)
    before = worktree_state(wt.path)
    result = _teardown(grepo, wt, "every")
    assert result.classification.kind == "dirty"
    assert result.classification.ignored == ["scratch.log"]
    assert not wt.path.exists()
    restored = restore(grepo, "every", wt.path)
    assert (restored.branch, restored.head, restored.had_uncommitted) == (wt.branch, before.head, True)
    after = worktree_state(wt.path)
    assert after == before
    assert (wt.path / "tool.sh").stat().st_mode & 0o100 and not (wt.path / "run.sh").stat().st_mode & 0o100
    assert os.readlink(wt.path / "applink") == "src/app.py"
    assert not (wt.path / "scratch.log").exists()  # ignored files are documented as not archived
    assert git(main_repo, "status", "--porcelain") == ""


def test_restore_then_teardown_again_keeps_both_archives(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    wt = _new(grepo, wt_root, "again")
    (wt.path / "first.txt").write_text("first\n")
    first = _teardown(grepo, wt, "again").archive_commit
    assert first is not None
    restore(grepo, "again", wt.path)
    second_teardown = _teardown(grepo, wt, "again")  # nothing changed: the same archive is reused
    assert second_teardown.archive_commit == first
    restore(grepo, "again", wt.path)
    (wt.path / "second.txt").write_text("second\n")
    second = _teardown(grepo, wt, "again").archive_commit
    assert second is not None and second != first
    assert grepo.is_ancestor(first, second)
    restore(grepo, "again", wt.path)
    assert (wt.path / "first.txt").read_text() == "first\n"
    assert (wt.path / "second.txt").read_text() == "second\n"


def test_worktree_deleted_by_hand_still_archives_branch_commits(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    wt = _new(grepo, wt_root, "gone")
    (wt.path / "kept.txt").write_text("committed before the folder was deleted\n")
    head = commit_all(wt.path)
    shutil.rmtree(wt.path)
    result = _teardown(grepo, wt, "gone")
    assert (result.classification.kind, result.classification.worktree_exists) == ("committed", False)
    assert git(main_repo, "rev-parse", f"{result.archive_ref}^1").strip() == head
    assert not grepo.branch_exists(wt.branch)
    assert str(wt.path) not in git(main_repo, "worktree", "list")
    restore(grepo, "gone", wt.path)
    assert (wt.path / "kept.txt").exists()


def test_second_teardown_is_idempotent_and_branch_already_deleted(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    wt = _new(grepo, wt_root, "twice")
    (wt.path / "w.txt").write_text("w\n")
    first = _teardown(grepo, wt, "twice")
    again = _teardown(grepo, wt, "twice")
    assert (again.already_gone, again.archive_commit, again.classification.kind) == (True, first.archive_commit, "dirty")
    never = _new(grepo, wt_root, "never")
    grepo.remove_worktree(never.path, never.branch)
    gone = _teardown(grepo, never, "never")
    assert (gone.already_gone, gone.archive_ref, gone.classification.kind) == (True, None, "clean")
    # Branch deleted by hand while the worktree lives on (detached): the worktree's work is kept.
    loose = _new(grepo, wt_root, "loose")
    (loose.path / "x.txt").write_text("x\n")
    commit_all(loose.path)
    git(loose.path, "checkout", "-q", "--detach")
    git(main_repo, "branch", "-D", "cockpit/loose")
    result = _teardown(grepo, loose, "loose")
    assert result.archive_commit and not result.already_gone
    assert git(main_repo, "show", f"{result.archive_commit}:x.txt") == "x\n"


def test_worktree_that_left_its_branch_archives_both(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    wt = _new(grepo, wt_root, "split")
    (wt.path / "on-branch.txt").write_text("b\n")
    branch_head = commit_all(wt.path)
    git(wt.path, "checkout", "-q", "--detach", wt.base_commit)
    (wt.path / "detached.txt").write_text("d\n")
    result = _teardown(grepo, wt, "split")
    assert grepo.is_ancestor(branch_head, result.archive_commit)
    assert not grepo.branch_exists(wt.branch)


def test_restore_errors(grepo: GitRepo, wt_root: Path) -> None:
    with pytest.raises(UsageError, match="no archive for dispatch nothing"):
        restore(grepo, "nothing", wt_root / "nothing")
    wt = _new(grepo, wt_root, "busy")
    (wt.path / "f").write_text("f\n")
    _teardown(grepo, wt, "busy")
    grepo.create_worktree("busy", wt_root / "elsewhere", "HEAD")
    with pytest.raises(UsageError, match="branch cockpit/busy already exists"):
        restore(grepo, "busy", wt_root / "busy")
    (wt_root / "occupied").mkdir()
    with pytest.raises(UsageError, match="already exists"):
        restore(grepo, "busy", wt_root / "occupied")


def test_untracked_embedded_repository_blocks_teardown(grepo: GitRepo, wt_root: Path) -> None:
    wt = _new(grepo, wt_root, "nested")
    inner = wt.path / "inner"
    inner.mkdir()
    git(inner, "init", "-q")
    (inner / "f").write_text("inner work\n")
    git(inner, "add", "f")
    git(inner, "commit", "-q", "-m", "inner")
    with pytest.raises(CheckFailed, match="embedded git repository"):
        _teardown(grepo, wt, "nested")
    assert (inner / "f").exists() and grepo.branch_exists(wt.branch)


def test_remove_worktree_checks_the_archive_matches(grepo: GitRepo, wt_root: Path) -> None:
    wt = _new(grepo, wt_root, "late")
    (wt.path / "a.txt").write_text("a\n")
    archive = _teardown(grepo, wt, "late").archive_commit
    restore(grepo, "late", wt.path)
    (wt.path / "b.txt").write_text("written after the archive\n")
    with pytest.raises(CheckFailed, match="does not hold its current state"):
        grepo.remove_worktree(wt.path, wt.branch, archive_commit=archive)
    assert (wt.path / "b.txt").exists()


def test_worktree_whose_checked_out_branch_vanished_is_left_alone(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    wt = _new(grepo, wt_root, "orphan")
    (wt.path / "work.txt").write_text("uncommitted\n")
    git(main_repo, "update-ref", "-d", "refs/heads/cockpit/orphan")  # bypasses git's checked-out guard
    with pytest.raises(CheckFailed, match="has no HEAD commit"):
        _teardown(grepo, wt, "orphan")
    assert (wt.path / "work.txt").read_text() == "uncommitted\n"
