"""Approval refuses, naming why: a failing gate, stale or incomplete evidence, a worker asking."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from gatekit import assert_documented, branch_commit, gate_results, git, git_state, use_gates


def refused(cockpit, dispatch_id: str, *needles: str, env: dict[str, str] | None = None) -> str:
    """Approve must exit 1 naming each needle, record approval_refused, and leave main as it was."""
    state = git_state(cockpit.repo)
    result = cockpit.run("approve", dispatch_id, env=env)
    assert result.returncode == 1, result
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert cockpit.receipt_kinds(dispatch_id)[-1] == "approval_refused"
    assert git_state(cockpit.repo) == state
    return result.stderr


def test_a_failing_gate_blocks_approval_and_requests_changes(cockpit) -> None:
    dispatch_id = cockpit.dispatch(
        "@fake write a.txt x\n@fake commit a", "--accept", "test -f missing.txt", "--accept", "test -f a.txt"
    )
    cockpit.wait(dispatch_id, until="changes_requested")
    settled = [r for r in cockpit.receipts(dispatch_id) if r.kind == "review_changed"][-1].data
    assert settled["blockers"] == ["gate accept-1 failed: `test -f missing.txt` exited 1"]
    refused(cockpit, dispatch_id, "gate accept-1 failed")
    gates = cockpit.run("gates", dispatch_id)  # on demand: the same verdict, exit 1
    assert gates.returncode == 1 and "✘ accept-1" in gates.stdout and "✔ accept-2" in gates.stdout
    assert "approval is blocked:" in gates.stdout
    assert_documented(cockpit.receipts(dispatch_id))


def test_a_new_commit_or_an_uncommitted_change_makes_results_stale(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write a.txt x\n@fake commit a", "--accept", "test -f a.txt")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    worktree = Path(cockpit.show(dispatch_id)["worktree"])
    (worktree / "b.txt").write_text("sneaked in after the gates\n")
    refused(cockpit, dispatch_id, "gate scope is stale", "gate accept-1 is stale")
    git(worktree, "add", "b.txt")
    git(worktree, "commit", "-q", "-m", "b")
    text = refused(cockpit, dispatch_id, "gate scope is stale", "gate accept-1 is stale")
    assert "cockpit review" in text
    assert "~ scope" in cockpit.run("review", dispatch_id).stdout
    # Run again on the current diff: fresh evidence, and approval goes through.
    assert cockpit.run("gates", dispatch_id).returncode == 0
    assert gate_results(cockpit, dispatch_id)["scope"]["head_commit"] == git(worktree, "rev-parse", "HEAD").strip()
    cockpit.run("approve", dispatch_id, check=True)
    assert (cockpit.repo / "b.txt").exists()


def test_evidence_without_its_report_file_counts_as_not_run(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write a.txt x", "--accept", "true")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    report = Path(gate_results(cockpit, dispatch_id)["accept-1"]["report"])
    report.write_text(report.read_text() + "edited afterwards\n")
    refused(cockpit, dispatch_id, "gate accept-1 has incomplete evidence")
    report.unlink()
    refused(cockpit, dispatch_id, "gate accept-1 has incomplete evidence")
    assert "· accept-1" in cockpit.run("review", dispatch_id).stdout


def test_a_gate_that_times_out_is_an_error(cockpit) -> None:
    use_gates(cockpit.repo, "gates:\n  slow:\n    kind: command\n    run: sleep 30; echo never\n    timeout: 1\n")
    dispatch_id = cockpit.dispatch("@fake write a.txt x")
    cockpit.wait(dispatch_id, until="changes_requested")
    result = gate_results(cockpit, dispatch_id)["slow"]
    assert (result["status"], result["exit_code"]) == ("error", None)
    assert result["summary"] == "timed out after 1 s" and result["duration_ms"] < 10_000
    refused(cockpit, dispatch_id, "gate slow error: timed out after 1 s")


def test_approval_is_refused_in_a_workers_environment(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write a.txt x", "--risk", "low")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    refused(cockpit, dispatch_id, "refusing to approve from inside worker", env={"COCKPIT_WORKER_ID": dispatch_id})
    last = cockpit.receipts(dispatch_id)[-1]
    assert last.data["blockers"] == [f"asked from inside worker {dispatch_id}'s environment"]
    assert cockpit.show(dispatch_id)["review"] == "awaiting_approval"


def test_a_process_started_by_a_worker_cannot_approve_even_without_the_marker(cockpit) -> None:
    target = cockpit.dispatch("@fake write a.txt x", "--risk", "low")
    cockpit.wait(target, until="awaiting_approval")
    main_before = branch_commit(cockpit.repo, "main")
    # The pane's own process re-executes itself without COCKPIT_WORKER_ID, so no process in the
    # chain carries the marker any more: what gives it away is that it descends from the pane.
    inner = f"{shlex.quote(sys.executable)} -m cockpit approve {target} > approve.out 2>&1; echo exit $? >> approve.out"
    command = f"exec env -u COCKPIT_WORKER_ID /bin/sh -c {shlex.quote(inner)}"
    worker = cockpit.dispatch(command, "--provider", "shell")
    cockpit.wait(worker)
    out = (Path(cockpit.show(worker)["worktree"]) / "approve.out").read_text()
    assert f"refusing to approve from inside worker {worker}'s environment" in out and out.endswith("exit 1\n"), out
    assert branch_commit(cockpit.repo, "main") == main_before
    last = cockpit.receipts(target)[-1]
    assert last.kind == "approval_refused"
    assert last.data["blockers"] == [f"asked from inside worker {worker}'s environment"]
    assert last.data["identity"]["worker"] is None  # it was found by its parents, not by its word
    assert_documented([last])


def test_an_empty_diff_has_nothing_to_promote(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake say nothing to change here", "--risk", "low")
    cockpit.wait(dispatch_id, until="no_changes")  # no gate runs on an empty diff: there is nothing to judge
    refused(cockpit, dispatch_id, f"nothing to promote: {dispatch_id} made no changes against its base commit")
