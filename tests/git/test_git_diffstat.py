"""diff_stat and worktree_fingerprint: right numbers, never a write to the worktree's index."""

from __future__ import annotations

import os
from pathlib import Path

from gitkit import commit_all, git, index_file

from cockpit.runtime.git_repo import GitRepo
from cockpit.runtime.teardown import classify


def _index_bytes_and_mtime(wt: Path) -> tuple[bytes, int]:
    index = index_file(wt)
    return index.read_bytes(), index.stat().st_mtime_ns


def test_diff_stat_counts_committed_uncommitted_and_untracked(grepo: GitRepo, wt_root: Path) -> None:
    wt = grepo.create_worktree("ds", wt_root / "ds", "HEAD")
    assert grepo.diff_stat(wt.path, wt.base_commit) == grepo.diff_stat(wt.path, wt.base_commit)
    assert grepo.diff_stat(wt.path, wt.base_commit).files == 0
    (wt.path / "committed.txt").write_text("1\n2\n")
    commit_all(wt.path)
    (wt.path / "README.md").write_text("changed\nand more\n")  # 1 removed, 2 added
    (wt.path / "staged.txt").write_text("s\n")
    git(wt.path, "add", "staged.txt")
    (wt.path / "untracked.txt").write_text("a\nb\nc")  # 3 lines, last one unterminated
    (wt.path / "blob.bin").write_bytes(b"\0\1\2")  # binary: counts as a file, no lines
    (wt.path / "ignored.log").write_text("not counted\n")
    (wt.path / "src" / "app.py").unlink()  # 1 removed
    stat = grepo.diff_stat(wt.path, wt.base_commit)
    assert stat.paths == ["README.md", "blob.bin", "committed.txt", "src/app.py", "staged.txt", "untracked.txt"]
    assert (stat.files, stat.added, stat.removed) == (6, 2 + 2 + 1 + 3, 1 + 1)


def test_reads_do_not_touch_the_index(grepo: GitRepo, wt_root: Path) -> None:
    wt = grepo.create_worktree("ro", wt_root / "ro", "HEAD")
    (wt.path / "README.md").write_text("modified without staging\n")
    (wt.path / "new.txt").write_text("untracked\n")
    git(wt.path, "update-index", "--refresh", check=False)
    before = _index_bytes_and_mtime(wt.path)
    # Make a stat-dirty but content-clean file, which a refreshing command would rewrite the index for.
    os.utime(wt.path / "run.sh", ns=(1, 1))
    grepo.diff_stat(wt.path, wt.base_commit)
    grepo.worktree_fingerprint(wt.path, wt.base_commit)
    classify(grepo, wt.path, wt.branch, wt.base_commit, None)
    grepo.snapshot(wt.path)
    assert _index_bytes_and_mtime(wt.path) == before
    assert "new.txt" not in git(wt.path, "ls-files")  # no `add -N` left behind


def test_fingerprint_changes_on_every_kind_of_edit(grepo: GitRepo, wt_root: Path) -> None:
    wt = grepo.create_worktree("fp", wt_root / "fp", "HEAD")
    seen: list[str] = []

    def fingerprint() -> str:
        head, digest = grepo.worktree_fingerprint(wt.path, wt.base_commit)
        assert head == git(wt.path, "rev-parse", "HEAD").strip()
        assert (head, digest) == grepo.worktree_fingerprint(wt.path, wt.base_commit)  # deterministic
        return digest

    seen.append(fingerprint())
    (wt.path / "README.md").write_text("tracked edit\n")
    seen.append(fingerprint())
    (wt.path / "u.txt").write_text("untracked\n")
    seen.append(fingerprint())
    (wt.path / "u.txt").write_text("untracked, edited\n")
    seen.append(fingerprint())
    (wt.path / "bin").write_bytes(b"\0\1")
    seen.append(fingerprint())
    (wt.path / "bin").write_bytes(b"\0\2")  # same size, other bytes
    seen.append(fingerprint())
    (wt.path / "bin").chmod(0o755)  # a mode change
    seen.append(fingerprint())
    assert len(set(seen)) == len(seen)
    (wt.path / "ignored.log").write_text("ignored files are not part of the diff\n")
    assert fingerprint() == seen[-1]
    head_before = git(wt.path, "rev-parse", "HEAD").strip()
    git(wt.path, "commit", "-q", "--allow-empty", "-m", "empty")  # same diff, new commit
    head_after, digest = grepo.worktree_fingerprint(wt.path, wt.base_commit)
    assert head_after != head_before and digest == seen[-1]
    git(wt.path, "add", "-A")  # staging alone does not change the diff from base
    assert fingerprint() == seen[-1]
    commit_all(wt.path)
    (wt.path / "README.md").write_text("hello\n")  # back to base content: the diff shrinks
    assert fingerprint() not in seen
