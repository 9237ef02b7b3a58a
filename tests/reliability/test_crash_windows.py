"""Crashes placed exactly in the windows that random kills rarely hit.

A slowed-down tmux (the real one, then a pause: fault injection through PATH, for the
supervisor only) holds the supervisor right after a worker's session exists and before
its `worker_started` receipt is written; a command gate that sleeps holds it in `gating`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from reliability_kit import live_rows, rebuilt_rows, sigkill, wait_gone

from cockpit.domain.dispatch import LIVE_STATES
from cockpit.ledger import Ledger, verify

SLOW_TMUX = """#!/bin/sh
"{real}" "$@"
code=$?
case "$*" in *new-session*) sleep 30;; esac
exit $code
"""


def slow_tmux_path(tmp_path: Path) -> str:
    folder = tmp_path / "slow-bin"
    folder.mkdir()
    wrapper = folder / "tmux"
    wrapper.write_text(SLOW_TMUX.format(real=shutil.which("tmux")))
    wrapper.chmod(0o755)
    return f"{folder}:{os.environ['PATH']}"


def descendants(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], check=False, capture_output=True, text=True).stdout
    found = [int(x) for x in out.split()]
    return found + [grandchild for child in found for grandchild in descendants(child)]


def kill_supervisor_with_children(cockpit) -> None:  # type: ignore[no-untyped-def]
    pid = int(cockpit.call("ping")["pid"])
    cockpit.client.close()
    stragglers = descendants(pid)
    sigkill(pid)
    for child in stragglers:  # the paused tmux wrapper and its sleep: they would otherwise linger
        sigkill(child)
    wait_gone(pid)


def test_killed_between_session_start_and_its_receipt_the_worker_is_adopted(cockpit, tmp_path) -> None:
    cockpit.run("status", check=True, env={"PATH": slow_tmux_path(tmp_path)})  # a supervisor with slow tmux
    dispatch_id = cockpit.call("dispatch", prompt="@fake write started.txt yes\n@fake hang", actor="t")["id"]
    tmux = cockpit.tmux()
    deadline = time.monotonic() + 20
    while not tmux.has_session(dispatch_id):
        assert time.monotonic() < deadline, "the session never started"
        time.sleep(0.02)
    assert "worker_started" not in cockpit.receipt_kinds(dispatch_id)  # we are inside the window
    kill_supervisor_with_children(cockpit)

    cockpit.run("status", check=True)  # a normal supervisor: recovery, then the queue
    deadline = time.monotonic() + 60
    while "start_failed" not in cockpit.receipt_kinds(dispatch_id) and time.monotonic() < deadline:
        view = cockpit.show(dispatch_id)
        if view["state"] in {str(s) for s in LIVE_STATES}:
            break
        time.sleep(0.1)
    view = cockpit.show(dispatch_id)
    running = {p.session for p in tmux.list_panes() if not p.dead}
    assert dispatch_id in running  # the agent is still there, so it must be supervised:
    assert view["state"] in {str(s) for s in LIVE_STATES}, (view["state"], cockpit.receipt_kinds(dispatch_id))
    assert cockpit.run("receipts", "verify").returncode == 0


GATES = """gates:
  slow:
    kind: command
    run: sleep 4
"""


@pytest.mark.slow
def test_killed_while_gates_run_the_review_does_not_stay_gating(cockpit) -> None:
    (cockpit.repo / ".cockpit").mkdir()
    (cockpit.repo / ".cockpit" / "gates.yaml").write_text(GATES)
    dispatch_id = cockpit.dispatch("@fake write a.txt a\n@fake commit a")
    cockpit.wait(dispatch_id, until="gating")
    kill_supervisor_with_children(cockpit)

    cockpit.run("status", check=True)
    deadline = time.monotonic() + 20
    while cockpit.show(dispatch_id)["review"] == "gating" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert cockpit.show(dispatch_id)["review"] != "gating", cockpit.receipt_kinds(dispatch_id)
    kinds = cockpit.receipt_kinds(dispatch_id)
    assert kinds.count("gate_result") >= 1 and kinds[-1] == "review_changed"
    cockpit.stop()
    assert live_rows(cockpit.ws) == rebuilt_rows(cockpit.ws.state.root)


def test_killed_inside_the_first_append_repair_alone_makes_the_ledger_verify(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.append("note", actor="t", data={"text": "first"})  # genesis + note, as one first append
    ledger.close()
    (tmp_path / "ledger.head").write_bytes(b"")  # the state that crash leaves: the head not written yet
    assert Ledger(tmp_path).repair() == []  # nothing torn: nothing to quarantine
    report = verify(tmp_path)
    assert report.ok, report.problem
    assert report.records == 2
