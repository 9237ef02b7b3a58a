"""Pause and resume a worker on an SSH host: SIGSTOP/SIGCONT over ssh to its processes there
(all but the run script's shell, which tmux would continue at once)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from hostkit import hosts_yaml, write_user_hosts
from netns_lab import NetnsLab


def wait_for(check, what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def states(pids: list[int]) -> list[str]:
    """Each process's state letter, from /proc (the host's processes are this machine's)."""
    out = []
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        out.append(fields[0])
    return out


def test_pause_and_resume_a_remote_worker_loses_nothing(cockpit, lab_env: NetnsLab) -> None:
    write_user_hosts(hosts_yaml(lab_env))
    dispatch_id = cockpit.dispatch("@fake lines 80 10\n@fake say all done", "--host", "h2")
    cockpit.wait(dispatch_id, until="working", timeout=90)
    (remote_log,) = (lab_env.hosts["h2"].root / "run").glob(f"*/{dispatch_id}/output.log")
    wait_for(lambda: b"line 5 of 80" in remote_log.read_bytes(), "the worker's fifth line")
    result = cockpit.call("pause", id=dispatch_id, actor="test")
    assert result["done"][0]["from"] == "working" and "stopped" in result["done"][0]["how"], result
    paused = next(r for r in cockpit.receipts(dispatch_id) if r.kind == "paused")
    pids = [p["pid"] for p in paused.data["processes"]]
    assert pids and set(states(pids)) == {"T"}  # stopped, in the kernel's own words
    pane_pid = int(
        subprocess.run(["ps", "-o", "ppid=", "-p", str(pids[0])], capture_output=True, text=True, check=True).stdout.strip()
    )
    assert states([pane_pid]) != ["T"]  # the run script's shell goes on (tmux would continue it)
    assert cockpit.show(dispatch_id)["state"] == "paused"
    size = remote_log.stat().st_size
    time.sleep(2)  # a worker printing 10 lines a second would have printed 20 meanwhile
    assert remote_log.stat().st_size == size
    out = cockpit.run("resume", dispatch_id, check=True).stdout
    assert out.startswith(f"resumed {dispatch_id} (working) after "), out
    cockpit.wait(dispatch_id, until="exited", timeout=90)
    view = cockpit.show(dispatch_id)
    assert (view["state"], view["exit_code"]) == ("exited", 0)
    text = Path(view["log"]).read_text()
    lines = [ln for ln in text.splitlines() if " of 80" in ln]
    assert lines == [f"line {n} of 80" for n in range(1, 81)] and "all done" in text
    kinds = cockpit.receipt_kinds(dispatch_id)
    assert kinds.index("paused") < kinds.index("resumed") < kinds.index("exited")


def test_killing_a_paused_remote_worker_ends_it(cockpit, lab_env: NetnsLab) -> None:
    write_user_hosts(hosts_yaml(lab_env))
    dispatch_id = cockpit.dispatch("@fake hang", "--host", "h1")
    cockpit.wait(dispatch_id, until="working", timeout=90)
    cockpit.call("pause", id=dispatch_id, actor="test")
    assert cockpit.show(dispatch_id)["state"] == "paused"
    cockpit.run("kill", dispatch_id, check=True)
    assert cockpit.show(dispatch_id)["state"] == "killed"
    killed = next(r for r in cockpit.receipts(dispatch_id) if r.kind == "killed")
    assert killed.data.get("survivors", []) == [], killed.data
