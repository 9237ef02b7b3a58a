"""What the board and `cockpit status` say must be true of the worktree, through the real
supervisor, tmux, git and the fake agent: an empty diff is `no changes` (never "approve?"),
a worktree that changed after gating is `stale`, interactive usage only adds up, and a
failed promotion is not followed by "conflicts passed" and "approving will merge"."""

from __future__ import annotations

import json
import time
from pathlib import Path

from gatekit import git, use_gates

from cockpit.protocol.views import DispatchView
from cockpit.ui.format import gate_summary


def status_rows(cockpit) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(cockpit.run("status", "--json", check=True).stdout)}


def test_a_worker_that_changed_nothing_shows_no_changes_runs_no_gates_and_approve_explains(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake say I looked and changed nothing")
    cockpit.wait(dispatch_id, until="no_changes")
    kinds = cockpit.receipt_kinds(dispatch_id)
    assert "gate_started" not in kinds and "awaiting_approval" not in json.dumps([r.data for r in cockpit.receipts(dispatch_id)])
    change = [r for r in cockpit.receipts(dispatch_id) if r.kind == "review_changed"][-1]
    assert change.data["to"] == "no_changes" and "nothing to promote" in change.data["blockers"][0]
    row = status_rows(cockpit)[dispatch_id]
    assert row["review"] == "no_changes"
    assert "awaiting_approval" not in cockpit.run("status", check=True).stdout
    assert gate_summary(DispatchView.model_validate(row)) == ("no changes", "foreground-muted")
    approve = cockpit.run("approve", dispatch_id)
    assert approve.returncode == 1
    assert f"nothing to promote: {dispatch_id} made no changes" in approve.stderr
    assert "has not run" not in approve.stderr  # its gates never had to run
    review = cockpit.run("review", dispatch_id, check=True).stdout
    assert "nothing to promote" in review and "approving will" not in review


def _worktree(cockpit, dispatch_id: str) -> Path:
    return Path(cockpit.show(dispatch_id)["worktree"])


def test_a_worktree_changed_after_gating_is_stale_in_status_and_on_the_board(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write w.txt one\n@fake commit one", "--risk", "low")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    (_worktree(cockpit, dispatch_id) / "w.txt").write_text("one, then edited\n")
    row = status_rows(cockpit)[dispatch_id]  # status looks before it answers
    assert row["review"] == "stale"
    assert "stale" in cockpit.run("status", check=True).stdout.split()
    label, colour = gate_summary(DispatchView.model_validate(row))
    assert label.startswith("~") and label.endswith("stale") and colour == "warning"
    change = [r for r in cockpit.receipts(dispatch_id) if r.kind == "review_changed"][-1]
    assert change.data["to"] == "stale" and change.data["was"] == "awaiting_approval"
    # Gating again makes it current; a later edit is noticed without anyone asking for status.
    cockpit.run("gates", dispatch_id, check=True)
    assert cockpit.show(dispatch_id)["review"] == "awaiting_approval"
    (_worktree(cockpit, dispatch_id) / "w.txt").write_text("edited again\n")
    cockpit.wait(dispatch_id, until="stale", timeout=60)
    assert cockpit.run("approve", dispatch_id).returncode == 1


def test_interactive_usage_adds_up_over_turns(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake usage 10 5 0.01", "--interactive")
    cockpit.wait(dispatch_id, until="idle")
    deadline = time.monotonic() + 30
    while cockpit.show(dispatch_id)["tokens"] != 15 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cockpit.show(dispatch_id)["tokens"] == 15
    cockpit.run("send", dispatch_id, "@fake say a turn that reports no usage", check=True)
    cockpit.run("send", dispatch_id, "@fake usage 1 2 0.001", check=True)
    deadline = time.monotonic() + 30
    while cockpit.ws.state.log(dispatch_id).read_bytes().count(b'"type":"result"') < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    deadline = time.monotonic() + 30
    while cockpit.show(dispatch_id)["tokens"] != 18 and time.monotonic() < deadline:
        time.sleep(0.05)
    view = cockpit.show(dispatch_id)
    assert (view["tokens_in"], view["tokens_out"], view["cost_usd"]) == (11, 7, "0.011000")
    totals = [r.data["input_tokens"] + r.data["output_tokens"] for r in cockpit.receipts(dispatch_id) if r.kind == "usage"]
    assert totals == sorted(totals) and 0 not in totals  # never backwards
    cockpit.run("kill", dispatch_id, check=True)


def test_after_a_failed_promotion_review_no_longer_says_conflicts_passed_or_approving_will_merge(cockpit) -> None:
    use_gates(cockpit.repo, "required:\n  low: [scope]\n")  # conflicts not even required: it must block anyway
    dispatch_id = cockpit.dispatch("@fake write README.md from the worker\n@fake commit worker readme", "--risk", "low")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    cockpit.run("gates", dispatch_id, check=True)
    (cockpit.repo / "README.md").write_text("from main\n")
    git(cockpit.repo, "commit", "-q", "-am", "main readme")
    assert cockpit.run("approve", dispatch_id).returncode == 1
    review = cockpit.run("review", dispatch_id, check=True).stdout
    assert "✔ conflicts" not in review and "approving will" not in review
    assert "✘ conflicts" in review and "approval is blocked" in review
    assert "the promotion found a conflict" in review
    assert cockpit.run("approve", dispatch_id).returncode == 1
    assert cockpit.receipt_kinds(dispatch_id)[-1] == "approval_refused"


def test_a_failed_promotion_fails_a_required_conflicts_gate(cockpit) -> None:
    use_gates(cockpit.repo, "required:\n  low: [scope, conflicts]\n")
    dispatch_id = cockpit.dispatch("@fake write README.md from the worker\n@fake commit worker readme", "--risk", "low")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    assert "✔ conflicts" in cockpit.run("review", dispatch_id, check=True).stdout
    (cockpit.repo / "README.md").write_text("from main\n")
    git(cockpit.repo, "commit", "-q", "-am", "main readme")
    assert cockpit.run("approve", dispatch_id).returncode == 1
    review = cockpit.run("review", dispatch_id, check=True).stdout
    assert "✘ conflicts" in review and "✔ conflicts" not in review and "approving will" not in review
