"""`cockpit pause` / `cockpit resume`: the worker's whole process tree stops where it is and
goes on from there. Real supervisor, real tmux (private socket), the fake agent."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from workerkit import agent_processes, cpu_ticks, wait_for

from cockpit.runtime.proctree import read_stat
from cockpit.service.identity import operator_actor
from cockpit.service.views import parse_ts


def test_a_paused_worker_stops_where_it_is_and_resumed_goes_on(cockpit) -> None:
    # 60 lines at 10 a second: 6 s of work, under a timeout of 10 s that a 7 s pause would pass
    dispatch_id = cockpit.dispatch("@fake lines 60 10\n@fake say all done", "--timeout", "10")
    log = cockpit.ws.state.log(dispatch_id)
    wait_for(lambda: log.exists() and b"line 5 of 60" in log.read_bytes(), "the worker's fifth line")

    # through the supervisor's channel, as `cockpit pause ID` sends it: a new CLI process may
    # take seconds to start on a loaded machine, and the worker must still be mid-way then
    result = cockpit.call("pause", id=dispatch_id, actor=operator_actor())
    assert result["done"][0]["from"] == "working" and "stopped" in result["done"][0]["how"]
    agents = agent_processes(cockpit, dispatch_id)
    assert agents, "the agent runs under the launcher"
    assert all(read_stat(pid).state == "T" for pid in agents)  # stopped, in /proc's own words
    ticks = {pid: cpu_ticks(pid) for pid in agents}
    size = log.stat().st_size
    status = cockpit.run("status", check=True).stdout
    assert any(line.startswith(dispatch_id) and " paused " in line for line in status.splitlines())
    assert cockpit.show(dispatch_id)["state"] == "paused"
    time.sleep(7)  # longer than the rest of its timeout: the clock must stand still meanwhile
    assert log.stat().st_size == size  # not one more byte of output
    assert {pid: cpu_ticks(pid) for pid in agents} == ticks  # not one more tick of CPU
    assert all(read_stat(pid).state == "T" for pid in agents)
    assert "timed_out" not in cockpit.receipt_kinds(dispatch_id)

    out = cockpit.run("resume", dispatch_id, check=True).stdout
    assert out.startswith(f"resumed {dispatch_id} (working) after ")
    cockpit.wait(dispatch_id, timeout=60)
    view = cockpit.show(dispatch_id)
    assert (view["state"], view["exit_code"]) == ("exited", 0)
    assert view["elapsed_s"] < 10  # the paused 7 s did not count
    text = log.read_bytes().decode()
    assert [f"line {i} of 60" in text for i in range(1, 61)] == [True] * 60
    assert text.count("line 6 of 60\r") == 1 and "all done" in text  # went on where it was, nothing twice
    receipts = cockpit.receipts(dispatch_id)
    kinds = [r.kind for r in receipts]
    assert "timed_out" not in kinds and kinds.index("paused") < kinds.index("resumed") < kinds.index("exited")
    paused = next(r for r in receipts if r.kind == "paused")
    resumed = next(r for r in receipts if r.kind == "resumed")
    assert paused.actor == resumed.actor == operator_actor()
    assert paused.data["from"] == "working" and {p["pid"] for p in paused.data["processes"]} >= set(agents)
    assert resumed.data["to"] == "working" and resumed.data["paused_ms"] >= 7000
    assert cockpit.run("receipts", "verify").returncode == 0


def test_pausing_a_worker_that_is_not_running_is_a_state_conflict(cockpit) -> None:
    done = cockpit.dispatch("@fake say bye")
    cockpit.wait(done, until="no_changes")  # exited, and its review settled: nothing more is coming
    before = len(cockpit.receipts())
    result = cockpit.run("pause", done)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and f"cannot pause {done}: it is exited" in result.stderr
    result = cockpit.run("resume", done)
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "not paused" in result.stderr
    result = cockpit.run("pause", "--all")
    assert result.returncode == 1 and "no running worker to pause" in result.stderr
    assert len(cockpit.receipts()) == before  # nothing written


def test_pause_and_resume_a_group_by_provider_and_all(cockpit) -> None:
    ids = [cockpit.dispatch(f"@fake say up {i}\n@fake hang") for i in range(2)]
    for dispatch_id in ids:
        wait_for(
            lambda d=dispatch_id: cockpit.ws.state.log(d).exists() and b"up" in cockpit.ws.state.log(d).read_bytes(), "output"
        )
    out = cockpit.run("pause", "--provider", "fake", check=True).stdout
    assert sorted(line.split()[1] for line in out.splitlines()) == sorted(ids)
    assert {cockpit.show(i)["state"] for i in ids} == {"paused"}
    # a second pause of an already paused worker is no error and writes nothing
    before = len(cockpit.receipts())
    assert cockpit.run("pause", ids[0], check=True).stdout.strip() == f"{ids[0]} was already paused"
    assert len(cockpit.receipts()) == before
    out = cockpit.run("resume", "--all", check=True).stdout
    assert sorted(line.split()[1] for line in out.splitlines()) == sorted(ids)
    assert {cockpit.show(i)["state"] for i in ids} == {"working"}
    assert all(read_stat(pid).state != "T" for i in ids for pid in agent_processes(cockpit, i))
    # a paused worker can still be killed: its processes end on SIGTERM, no grace period wasted
    cockpit.run("pause", ids[0], check=True)
    out = cockpit.run("kill", ids[0], check=True).stdout
    assert "ended on SIGTERM" in out and "SIGKILL" not in out
    assert cockpit.show(ids[0])["state"] == "killed"
    cockpit.run("kill", ids[1], check=True)


def test_a_paused_worker_keeps_its_slot_by_default(cockpit) -> None:
    (cockpit.repo / ".cockpit").mkdir(exist_ok=True)
    (cockpit.repo / ".cockpit" / "config.yaml").write_text("supervisor:\n  max_workers: 1\n")
    first = cockpit.dispatch("@fake say first\n@fake hang")
    wait_for(lambda: b"first" in cockpit.ws.state.log(first).read_bytes(), "the first worker's output")
    cockpit.run("pause", first, check=True)
    second = cockpit.dispatch("@fake say second")
    time.sleep(2)
    assert cockpit.show(second)["state"] == "queued"  # the paused worker holds the only slot
    cockpit.run("kill", first, check=True)
    cockpit.wait(second, timeout=60)
    assert cockpit.show(second)["exit_code"] == 0


def test_pause_frees_slot_lets_the_queue_go_on(cockpit) -> None:
    (cockpit.repo / ".cockpit").mkdir(exist_ok=True)
    (cockpit.repo / ".cockpit" / "config.yaml").write_text("supervisor:\n  max_workers: 1\n  pause_frees_slot: true\n")
    first = cockpit.dispatch("@fake say first\n@fake hang")
    wait_for(lambda: b"first" in cockpit.ws.state.log(first).read_bytes(), "the first worker's output")
    second = cockpit.dispatch("@fake say second")
    time.sleep(1)
    assert cockpit.show(second)["state"] == "queued"
    cockpit.run("pause", first, check=True)
    cockpit.wait(second, timeout=60)
    assert cockpit.show(second)["exit_code"] == 0
    assert cockpit.show(first)["state"] == "paused"
    cockpit.run("kill", first, check=True)


def test_a_paused_worker_stays_paused_across_a_supervisor_crash(cockpit) -> None:
    # The timeout must outlast the way to the pause on a loaded machine (a 5 s one ran out
    # first there); the wait past it below is counted from the worker's own start receipt.
    timeout_s = 20
    dispatch_id = cockpit.dispatch("@fake say up\n@fake hang", "--timeout", str(timeout_s))
    wait_for(lambda: b"up" in cockpit.ws.state.log(dispatch_id).read_bytes(), "output", limit=60)
    # through the supervisor's channel: a new CLI process may take seconds to start under load
    paused = cockpit.call("pause", id=dispatch_id, actor=operator_actor())
    assert paused["done"][0]["from"] == "working"
    refused = cockpit.run("send", dispatch_id, "hello")
    assert refused.returncode == 1 and "is paused" in refused.stderr and refused.stderr.count("\n") == 1
    pid = int(cockpit.call("ping")["pid"])
    cockpit.client.close()
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not Path(f"/proc/{pid}").exists() or read_stat(pid).state == "Z", "the supervisor to die", limit=60)
    assert cockpit.run("status", check=True).returncode == 0  # a new supervisor adopts it
    started = [r for r in cockpit.receipts() if r.kind == "supervisor_started"][-1]
    assert started.data["adopted"] == 1
    # past its timeout by wall clock: a paused worker's clock stands still under the new supervisor too
    began = parse_ts(cockpit.show(dispatch_id)["started_ts"])
    assert began is not None
    past_timeout = began.timestamp() + timeout_s + 1
    time.sleep(max(0.0, past_timeout - time.time()))
    assert cockpit.show(dispatch_id)["state"] == "paused"
    assert "timed_out" not in cockpit.receipt_kinds(dispatch_id)
    assert all(read_stat(p).state == "T" for p in agent_processes(cockpit, dispatch_id))
    cockpit.run("resume", dispatch_id, check=True)
    assert cockpit.show(dispatch_id)["state"] == "working"
    cockpit.wait(dispatch_id, timeout=60)  # then its timeout, counted without the pause, ends it
    assert "timed_out" in cockpit.receipt_kinds(dispatch_id)
    resumed = next(r for r in cockpit.receipts(dispatch_id) if r.kind == "resumed")
    assert resumed.data["paused_ms"] >= 1000  # the pause outlasted the wall-clock timeout
