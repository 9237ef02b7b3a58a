"""The world failing under cockpit: the tmux server killed mid-run, a full disk, a file size limit,
a read-only state directory. Each failure is reported in one clear line and leaves a valid ledger."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability_kit import (
    file_list,
    ledger_bytes,
    live_rows,
    mount,
    one_clear_line,
    rebuilt_rows,
    umount,
)

from cockpit.errors import LedgerError
from cockpit.ledger import Ledger, iter_receipts, verify


def cli(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cockpit", *args],
        check=False,
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


# -- tmux ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_tmux_server_killed_mid_run_marks_every_live_worker_lost_and_keeps_its_work(cockpit) -> None:
    hanging = [cockpit.dispatch(f"@fake write wip-{i}.txt {i}\n@fake hang") for i in range(2)]
    asker = cockpit.dispatch("@fake ask Continue?")
    for dispatch_id in hanging:
        cockpit.wait(dispatch_id, until="working")
    cockpit.wait(asker, until="waiting")
    for n, dispatch_id in enumerate(hanging):  # the agents wrote their files before the crash
        wip = Path(cockpit.show(dispatch_id)["worktree"]) / f"wip-{n}.txt"
        deadline = time.monotonic() + 60
        while not wip.exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    cockpit.tmux().kill_server()

    for n, dispatch_id in enumerate([*hanging, asker]):
        cockpit.wait(dispatch_id, timeout=60)
        view = cockpit.show(dispatch_id)
        assert view["state"] == "lost"
        if dispatch_id != asker:
            assert (Path(view["worktree"]) / f"wip-{n}.txt").read_text() == str(n)  # the work is kept
    reasons = {r.data["reason"] for r in cockpit.receipts() if r.kind == "lost"}
    assert reasons and all("tmux server" in reason for reason in reasons), reasons
    again = cockpit.dispatch("@fake say the private server comes back")
    cockpit.wait(again)
    assert cockpit.show(again)["exit_code"] == 0
    assert cockpit.run("receipts", "verify").returncode == 0
    cockpit.stop()
    assert live_rows(cockpit.ws) == rebuilt_rows(cockpit.ws.state.root)


@pytest.mark.slow
@pytest.mark.parametrize("ending", ["tmux server killed", "timeout"])
def test_a_slot_freed_by_a_lost_or_timed_out_worker_starts_the_next_queued_dispatch(cockpit, monkeypatch, ending) -> None:
    monkeypatch.setenv("COCKPIT_MAX_WORKERS", "1")
    # The limit outlasts the next `cockpit dispatch`, however loaded the machine (it takes seconds then).
    args = ("--timeout", "15") if ending == "timeout" else ()
    first = cockpit.dispatch("@fake hang", *args)
    cockpit.wait(first, until="working")
    queued = cockpit.dispatch("@fake say next")
    assert cockpit.show(queued)["state"] == "queued"
    if ending != "timeout":
        cockpit.tmux().kill_server()
    cockpit.wait(first, timeout=60)
    ended = "timed_out" if ending == "timeout" else "lost"
    assert cockpit.show(first)["state"] == ended
    cockpit.wait(queued, timeout=60)
    # it failed once under load with a wrong exit code: say how it ended (receipts, its output,
    # the supervisor's log)
    assert cockpit.show(queued)["exit_code"] == 0, how_it_ended(cockpit, queued)
    # The ledger's order: created while the slot was taken, started only once it was freed.
    seq = {(r.dispatch, r.kind): r.seq for r in cockpit.receipts()}
    assert seq[(queued, "dispatch_created")] < seq[(first, ended)] < seq[(queued, "worker_started")]


def how_it_ended(cockpit, dispatch_id: str) -> str:
    def tail(path: Path) -> str:
        return path.read_bytes()[-3000:].decode(errors="replace") if path.exists() else f"({path} does not exist)"

    receipts = "\n".join(f"{r.seq} {r.dispatch} {r.kind} {r.data}" for r in cockpit.receipts())
    state = cockpit.ws.state
    return f"receipts:\n{receipts}\nits output:\n{tail(state.log(dispatch_id))}\nsupervisor log:\n{tail(state.supervisor_log)}"


# -- a full disk --------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 2 MB tmpfs, filled on demand by `fill()` (needs root and mount(8), as CI has)."""
    path = tmp_path / "disk"
    path.mkdir()
    if not mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", str(path)):
        pytest.fail("cannot mount a tmpfs here: these tests need root and mount(8), as CI has (.ci/run runs as root)")
    yield path
    umount(path)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill the disk up to `leave` free bytes with one filler file (deleted to make room again)."""
    filler = disk / "filler"
    with open(filler, "ab") as handle:
        try:
            while True:
                stat = os.statvfs(disk)
                free = stat.f_bavail * stat.f_frsize
                if free <= leave:
                    break
                handle.write(b"\0" * min(65536, max(1, free - leave)))
                handle.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_fails_the_append_cleanly_and_the_ledger_stays_valid(small_disk: Path) -> None:
    directory = small_disk / "ledger"
    ledger = Ledger(directory)
    acked = [ledger.append("note", actor="t", data={"text": "before the disk filled"})]
    filler = fill(small_disk, leave=24 * 1024)
    with pytest.raises(LedgerError) as failure:
        for i in range(1000):  # lines of ~6 KB: the failing one crosses a page and is cut short
            acked.append(ledger.append("note", actor="t", data={"i": i, "text": "x" * 6000}))
    assert "No space left on device" in str(failure.value) and "nothing was recorded" in str(failure.value)
    assert len(acked) > 1, "the disk was full before the test began: it proves nothing"
    report = verify(directory)
    assert report.ok and report.records == acked[-1].seq, report.problem
    assert (directory / "ledger.ndjson").read_bytes().endswith(b"\n")
    filler.unlink()  # room again: the next append continues the chain, with nothing to repair
    ledger.append("note", actor="t", data={"text": "after"})
    report = verify(directory)
    assert report.ok and report.repairs == 0 and report.records == acked[-1].seq + 1


def test_a_full_disk_under_the_cli_is_one_clear_line_and_changes_nothing(small_disk: Path, repo: Path) -> None:
    env = {"COCKPIT_HOME": str(small_disk / "home")}
    assert cli(repo, "init", env=env).returncode == 0
    assert cli(repo, "note", "before", env=env).returncode == 0
    state = next((small_disk / "home").iterdir())
    before = ledger_bytes(state)
    filler = fill(small_disk)
    result = cli(repo, "note", "x" * 3000, env=env)
    assert result.returncode == 1, result
    one_clear_line(result.stderr)
    assert "No space left on device" in result.stderr
    assert ledger_bytes(state) == before
    assert cli(repo, "receipts", "verify", env=env).returncode == 0
    filler.unlink()
    assert cli(repo, "note", "after", env=env).returncode == 0
    texts = [r.data.get("text") for _, r in iter_receipts(state) if r.kind == "note"]
    assert texts == ["before", "after"]


FSIZE_APPENDER = """
import json, os, resource, signal, sys
from cockpit.errors import LedgerError
from cockpit.ledger import Ledger
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # then writes past the limit fail with EFBIG
ledger = Ledger(sys.argv[1])
acked = ledger.append("note", actor="t", data={"text": "first"}).seq
limit = os.path.getsize(os.path.join(sys.argv[1], "ledger.ndjson")) + 3000
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
try:
    while True:
        acked = ledger.append("note", actor="t", data={"text": "y" * 700}).seq
except LedgerError as exc:
    print(json.dumps({"acked": acked, "error": str(exc), "limit": limit}))
"""


def test_a_file_size_limit_fails_the_append_cleanly(tmp_path: Path) -> None:
    """The same failure as a full disk without mounting anything: writes past RLIMIT_FSIZE fail."""
    out = subprocess.run(
        [sys.executable, "-c", FSIZE_APPENDER, str(tmp_path)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    result = json.loads(out)
    assert "File too large" in result["error"] and "nothing was recorded" in result["error"]
    report = verify(tmp_path)
    assert report.ok and report.records == result["acked"] >= 3, (report.problem, result)
    assert (tmp_path / "ledger.ndjson").stat().st_size <= result["limit"]
    Ledger(tmp_path).append("note", actor="t", data={"text": "without the limit"})
    assert verify(tmp_path).ok and verify(tmp_path).repairs == 0


# -- a read-only state directory -----------------------------------------------------------------


@pytest.fixture
def read_only(tmp_path: Path):  # type: ignore[no-untyped-def]
    mounted: list[Path] = []

    def make(path: Path) -> None:
        if not (
            mount("--bind", str(path), str(path)) and (mounted.append(path) or True) and mount("-o", "remount,bind,ro", str(path))
        ):
            pytest.fail("cannot make a read-only bind mount here: these tests need root and mount(8), as CI has")
        probe = path / ".probe"
        try:
            probe.write_text("x")
        except OSError:
            return
        probe.unlink()
        pytest.fail(f"the read-only bind mount of {path} is writable: the test cannot make a read-only state directory")

    yield make
    for path in mounted:
        umount(path)


@pytest.fixture
def read_only_state(repo: Path, read_only) -> tuple[Path, Path, tuple]:  # type: ignore[no-untyped-def]
    """A repository with cockpit state (one note), its state directory mounted read-only."""
    assert cli(repo, "init").returncode == 0
    assert cli(repo, "note", "written before").returncode == 0
    state = next(Path(os.environ["COCKPIT_HOME"]).iterdir())
    before = (ledger_bytes(state), file_list(state))
    read_only(state)
    return repo, state, before


def test_a_read_only_state_dir_can_still_be_read_and_verified(read_only_state) -> None:
    repo, state, before = read_only_state
    assert cli(repo, "receipts", "verify").returncode == 0
    tail = cli(repo, "receipts", "tail", "-n", "5")
    assert tail.returncode == 0 and "written before" in tail.stdout
    assert (ledger_bytes(state), file_list(state)) == before


@pytest.mark.parametrize(
    "args",
    [
        ("note", "refused"),
        ("dispatch", "@fake say hi"),
        ("status",),
        ("state", "rebuild"),
    ],
    ids=["note", "dispatch", "status", "state-rebuild"],
)
def test_a_write_to_a_read_only_state_dir_fails_in_one_clear_line(read_only_state, args) -> None:
    repo, state, before = read_only_state
    result = cli(repo, *args)
    assert result.returncode in (1, 2), result
    one_clear_line(result.stderr)
    assert "read-only" in result.stderr.lower(), result.stderr
    assert (ledger_bytes(state), file_list(state)) == before
