"""The repository lock: threads and processes creating worktrees at once, and FileLock itself."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from gitkit import git

from cockpit.runtime.filelock import FileLock, LockTimeout
from cockpit.runtime.git_repo import GitRepo

_HOLD_LOCK = textwrap.dedent("""
    import sys
    from pathlib import Path
    from cockpit.runtime.filelock import FileLock
    with FileLock(Path(sys.argv[1])):
        print("held", flush=True)
        sys.stdin.readline()
""")

_CREATE_WORKTREES = textwrap.dedent("""
    import sys
    from pathlib import Path
    from cockpit.runtime.git_repo import GitRepo
    repo = GitRepo(Path(sys.argv[1]), Path(sys.argv[2]))
    for dispatch_id in sys.argv[4:]:
        repo.create_worktree(dispatch_id, Path(sys.argv[3]) / dispatch_id, "main")
""")

_COUNT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from cockpit.runtime.filelock import FileLock
    counter = Path(sys.argv[2])
    for _ in range(int(sys.argv[3])):
        with FileLock(Path(sys.argv[1])):
            value = int(counter.read_text())
            time.sleep(0.0005)  # widen the read-modify-write window a lost update would need
            counter.write_text(str(value + 1))
""")


def _assert_all_worktrees_sound(main_repo: Path, wt_root: Path, ids: list[str]) -> None:
    base = git(main_repo, "rev-parse", "main").strip()
    listing = git(main_repo, "worktree", "list", "--porcelain")
    assert "prunable" not in listing and "locked" not in listing
    for dispatch_id in ids:
        path = wt_root / dispatch_id
        assert f"worktree {path}" in listing
        assert git(path, "rev-parse", "HEAD").strip() == base
        assert git(path, "status", "--porcelain") == ""
        assert git(main_repo, "rev-parse", f"cockpit/{dispatch_id}").strip() == base
    git(main_repo, "fsck", "--no-progress")
    assert git(main_repo, "status", "--porcelain") == ""


def test_threads_create_worktrees_concurrently(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    ids = [f"th{i}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        infos = list(pool.map(lambda i: grepo.create_worktree(i, wt_root / i, "main"), ids))
    assert sorted(info.branch for info in infos) == sorted(f"cockpit/{i}" for i in ids)
    _assert_all_worktrees_sound(main_repo, wt_root, ids)


def test_processes_create_worktrees_concurrently(main_repo: Path, wt_root: Path, tmp_path: Path) -> None:
    lock = tmp_path / "state" / "git.lock"
    groups = [[f"p{p}w{w}" for w in range(3)] for p in range(4)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CREATE_WORKTREES, str(main_repo), str(lock), str(wt_root), *group],
            stderr=subprocess.PIPE,
            text=True,
        )
        for group in groups
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    _assert_all_worktrees_sound(main_repo, wt_root, [i for group in groups for i in group])
    assert (lock.stat().st_mode & 0o777) == 0o600


def test_create_worktree_waits_for_a_lock_held_by_another_process(grepo: GitRepo, wt_root: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(grepo.lock.path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        done = threading.Event()
        worker = threading.Thread(target=lambda: (grepo.create_worktree("w", wt_root / "w", "main"), done.set()))
        worker.start()
        assert not done.wait(0.5)  # blocked by the other process's flock
        assert not (wt_root / "w").exists()
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=60)
    worker.join(timeout=30)
    assert done.is_set() and (wt_root / "w").is_dir()


def test_filelock_has_no_lost_updates_across_processes(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    counter.write_text("0")
    lock = tmp_path / "locks" / "count.lock"
    procs = [subprocess.Popen([sys.executable, "-c", _COUNT, str(lock), str(counter), "60"]) for _ in range(3)]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    assert counter.read_text() == "180"


def test_filelock_threads_reentrancy_and_timeout(tmp_path: Path) -> None:
    path = tmp_path / "t.lock"
    inside = 0
    overlaps: list[int] = []

    def work() -> None:
        nonlocal inside
        for _ in range(50):
            with FileLock(path):  # a fresh object each time: the thread lock is keyed by path
                inside += 1
                overlaps.append(inside)
                time.sleep(0.0001)
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps and max(overlaps) == 1
    with FileLock(path) as outer, FileLock(path):  # re-entrant within one thread
        assert outer.path == path
        result: list[BaseException] = []

        def contend() -> None:
            try:
                with FileLock(path, timeout=0.2):
                    pass
            except LockTimeout as exc:
                result.append(exc)

        t = threading.Thread(target=contend)
        t.start()
        t.join()
        assert len(result) == 1 and "still held after 0.2s" in str(result[0])
    with FileLock(path, timeout=0.2):  # released after the outermost exit
        pass
    assert (path.stat().st_mode & 0o777) == 0o600


def test_filelock_times_out_on_another_process(tmp_path: Path) -> None:
    path = tmp_path / "p.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(LockTimeout):
            with FileLock(path, timeout=0.3):
                pass
        assert time.monotonic() - started >= 0.3
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    with FileLock(path, timeout=60):
        pass
