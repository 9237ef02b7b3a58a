"""Gate runs survive a supervisor crash; a send-back that cannot happen writes nothing."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from gatekit import gate_results


def test_gates_interrupted_by_a_supervisor_crash_run_again_on_restart(cockpit, tmp_path: Path) -> None:
    flag = tmp_path / "go"
    dispatch_id = cockpit.dispatch("@fake write a.txt x", "--accept", f"test -f {flag} || sleep 3; test -f {flag}")
    cockpit.wait(dispatch_id, until="gating")
    pid = int(cockpit.call("ping")["pid"])
    cockpit.client.close()
    os.kill(pid, signal.SIGKILL)
    while Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text(errors="replace"):
        time.sleep(0.02)
    last = [r for r in cockpit.receipts(dispatch_id) if r.kind == "review_changed"][-1]
    assert last.data["to"] == "gating"  # left behind by the crash
    flag.write_text("")
    review = cockpit.run("review", dispatch_id)  # any command starts a new supervisor
    assert "accept-1" in review.stdout
    cockpit.wait(dispatch_id, until="awaiting_approval")
    reruns = [r for r in cockpit.receipts(dispatch_id) if r.kind == "review_changed" and r.data["to"] == "gating"]
    assert reruns[-1].data["trigger"] == "interrupted by a supervisor restart"
    assert gate_results(cockpit, dispatch_id)["accept-1"]["status"] == "passed"


def test_sending_back_a_running_headless_worker_is_refused_without_a_trace(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake sleep 5")
    cockpit.wait(dispatch_id, until="working")
    result = cockpit.run("reject", dispatch_id, "--reason", "stop", "--send-back")
    assert result.returncode == 2 and "wait for it to exit" in result.stderr
    assert not {"rejected", "sent_back"} & set(cockpit.receipt_kinds(dispatch_id))
    cockpit.run("kill", dispatch_id, check=True)
