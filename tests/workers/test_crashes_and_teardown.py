"""The supervisor killed and restarted, the tmux server killed, teardown and restore, the default tmux server."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from workerkit import git, supervisor_pid, wait_gone


def test_supervisor_killed_and_restarted_while_workers_run(cockpit) -> None:
    # `slow` prints through the outage and then asks, so it is still running when the new
    # supervisor adopts it however loaded the machine is; `quick` surely exits while nobody
    # supervises (the test waits for its pane to die before restarting).
    slow = cockpit.dispatch("@fake lines 480 40\n@fake ask Finish?\n@fake usage 7 3 0.001")  # about 12 s of output
    quick = cockpit.dispatch("@fake sleep 4\n@fake exit 4")
    asker = cockpit.dispatch("@fake ask Continue?\n@fake say continued")
    cockpit.wait(asker, until="waiting")
    pid = supervisor_pid(cockpit)
    cockpit.client.close()
    os.kill(pid, signal.SIGKILL)
    wait_gone(pid)
    deadline = time.monotonic() + 30  # `quick` exits while nobody supervises
    while not any(p.session == quick and p.dead for p in cockpit.tmux().list_panes()):
        assert time.monotonic() < deadline, "the quick worker never exited"
        time.sleep(0.1)
    assert cockpit.run("status").returncode == 0  # any command starts a new supervisor
    assert supervisor_pid(cockpit) != pid
    started = [r for r in cockpit.receipts() if r.kind == "supervisor_started"][-1]
    assert (started.data["adopted"], started.data["exited_while_down"], started.data["lost"]) == (2, 1, 0)
    exited = [r for r in cockpit.receipts(quick) if r.kind == "exited"]
    assert [(r.data["code"], r.data.get("while_supervisor_was_down")) for r in exited] == [(4, True)]
    cockpit.run("send", asker, "--key", "y", check=True)
    cockpit.wait(slow, until="waiting", timeout=60)
    cockpit.run("send", slow, "--key", "y", check=True)
    for dispatch_id in (slow, quick, asker):
        cockpit.wait(dispatch_id, timeout=60)
    assert cockpit.show(quick)["exit_code"] == 4
    log = cockpit.ws.state.log(slow).read_text()
    assert all(f"line {i} of 480" in log for i in range(1, 481))  # no output lost
    view = cockpit.show(slow)
    assert (view["exit_code"], view["tokens_in"], view["tokens_out"]) == (0, 7, 3)
    assert "continued" in cockpit.ws.state.log(asker).read_text()
    assert cockpit.run("receipts", "verify").returncode == 0


def test_tmux_server_killed_marks_workers_lost_and_keeps_worktrees(cockpit) -> None:
    ids = [cockpit.dispatch(f"@fake write work-{i}.txt unfinished {i}\n@fake hang") for i in range(2)]
    for dispatch_id in ids:
        cockpit.wait(dispatch_id, until="working")
    deadline = time.monotonic() + 60
    while not all((Path(cockpit.show(i)["worktree"]) / f"work-{n}.txt").exists() for n, i in enumerate(ids)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    cockpit.tmux().kill_server()
    for n, dispatch_id in enumerate(ids):
        cockpit.wait(dispatch_id, timeout=40)
        view = cockpit.show(dispatch_id)
        assert view["state"] == "lost"
        assert (Path(view["worktree"]) / f"work-{n}.txt").read_text() == f"unfinished {n}"
    lost = [r for r in cockpit.receipts() if r.kind == "lost"]
    assert {r.dispatch for r in lost} == set(ids) and "tmux server" in lost[0].data["reason"]
    # a new dispatch still works: the private server comes back
    again = cockpit.dispatch("@fake say back")
    cockpit.wait(again)
    assert cockpit.show(again)["exit_code"] == 0


def snapshot_worktree(path: Path) -> dict[str, tuple[bytes, int]]:
    out = {}
    for item in sorted(path.rglob("*")):
        if ".git" in item.relative_to(path).parts or item.is_dir():
            continue
        out[str(item.relative_to(path))] = (
            os.readlink(item).encode() if item.is_symlink() else item.read_bytes(),
            item.lstat().st_mode,
        )
    return out


@pytest.mark.parametrize("kind", ["clean", "merged", "committed", "dirty"])
def test_teardown_classifies_archives_and_restore_brings_every_byte_back(cockpit, kind) -> None:
    prompts = {
        "clean": "@fake say nothing to change",
        "merged": "@fake write merged.txt m\n@fake commit merged work",
        "committed": "@fake write kept.txt committed work\n@fake commit keep me",
        "dirty": "@fake write kept.txt committed\n@fake commit one\n@fake write kept.txt now changed\n"
        "@fake write new/untracked.bin \\x00binary?\n@fake delete README.md",
    }
    dispatch_id = cockpit.dispatch(prompts[kind])
    cockpit.wait(dispatch_id)
    view = cockpit.show(dispatch_id)
    worktree = Path(view["worktree"])
    if kind == "merged":
        git(cockpit.repo, "merge", "-q", "--no-ff", "-m", "merge", view["branch"])
    if kind == "dirty":
        (worktree / "script.sh").write_text("#!/bin/sh\necho hi\n")
        (worktree / "script.sh").chmod(0o755)
        git(worktree, "add", "script.sh")  # staged, not committed
    before = snapshot_worktree(worktree)
    status_before = git(worktree, "status", "--porcelain=v2")
    result = cockpit.run("teardown", dispatch_id, "--json", check=True)
    import json

    torn = json.loads(result.stdout)
    assert torn["classification"] == kind
    assert not worktree.exists()
    assert git(cockpit.repo, "branch", "--list", view["branch"]) == ""
    archived = git(cockpit.repo, "for-each-ref", "refs/cockpit/archive/").strip()
    if kind in ("clean", "merged"):
        assert torn["archive_ref"] is None and archived == ""
        return
    assert torn["archive_ref"] == f"refs/cockpit/archive/{dispatch_id}" and archived
    assert "torn_down" in cockpit.receipt_kinds(dispatch_id)
    cockpit.run("restore", dispatch_id, check=True)
    assert snapshot_worktree(worktree) == before
    assert git(worktree, "status", "--porcelain=v2") == status_before
    assert "restored" in cockpit.receipt_kinds(dispatch_id)


def test_teardown_of_a_running_worker_stops_it_first_and_keeps_its_work(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write wip.txt in progress\n@fake hang")
    cockpit.wait(dispatch_id, until="working")
    deadline = time.monotonic() + 60
    while not (Path(cockpit.show(dispatch_id)["worktree"]) / "wip.txt").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert cockpit.run("teardown", dispatch_id).returncode == 0
    kinds = cockpit.receipt_kinds(dispatch_id)
    assert kinds.index("killed") < kinds.index("torn_down")
    cockpit.run("restore", dispatch_id, check=True)
    assert (Path(cockpit.show(dispatch_id)["worktree"]) / "wip.txt").read_text() == "in progress"


def test_the_default_tmux_server_is_never_touched(cockpit, monkeypatch) -> None:
    """A sentinel session on the default server of this test's own TMUX_TMPDIR.

    The default socket lives in $TMUX_TMPDIR/tmux-UID/default; a private TMUX_TMPDIR gives
    the test a real default server of its own, so it never touches the machine's.
    """
    import shutil
    import tempfile

    tmpdir = tempfile.mkdtemp(prefix="tx", dir="/tmp")  # short: unix socket paths are limited
    monkeypatch.setenv("TMUX_TMPDIR", tmpdir)  # before the first command starts the supervisor
    name = f"cockpit-sentinel-{uuid.uuid4().hex[:8]}"
    subprocess.run(["tmux", "-f", "/dev/null", "new-session", "-d", "-s", name, "sleep 300"], check=True)
    try:
        pid = subprocess.run(
            ["tmux", "display-message", "-p", "-t", name, "#{pane_pid}"], capture_output=True, text=True, check=True
        ).stdout.strip()
        ids = [cockpit.dispatch("@fake say hi"), cockpit.dispatch("@fake ask ok?", "--interactive")]
        cockpit.wait(ids[0])
        cockpit.wait(ids[1], until="waiting")
        cockpit.run("kill", ids[1], check=True)
        cockpit.run("teardown", ids[0], check=True)
        assert cockpit.tmux().socket_name != "default"
        cockpit.stop()
        after = subprocess.run(
            ["tmux", "list-sessions", "-F", "#{session_name}"], capture_output=True, text=True, check=True
        ).stdout.split()
        assert after == [name]
        assert (
            subprocess.run(
                ["tmux", "display-message", "-p", "-t", name, "#{pane_pid}"], capture_output=True, text=True, check=True
            ).stdout.strip()
            == pid
        )
        sockets = sorted(p.name for p in (Path(tmpdir) / f"tmux-{os.getuid()}").iterdir())
        assert "default" in sockets and all(s == "default" or s.startswith("cockpit-") for s in sockets)
    finally:
        cockpit.stop()  # while TMUX_TMPDIR still points at this test's servers
        subprocess.run(["tmux", "kill-server"], capture_output=True)  # this test's own default server
        shutil.rmtree(tmpdir, ignore_errors=True)
