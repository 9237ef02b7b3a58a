"""Reject (with and without sending the work back) and replay."""

from __future__ import annotations

import json
from pathlib import Path

from gatekit import APPROVE, assert_documented, gate_results, git, reviewer, use_gates


def test_reject_with_send_back_runs_the_agent_and_the_gates_again(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write a.txt draft\n@fake commit draft", "--accept", "test -f fixed.txt")
    cockpit.wait(dispatch_id, until="changes_requested")
    first = gate_results(cockpit, dispatch_id)["accept-1"]
    assert first["status"] == "failed"
    reason = "fixed.txt is missing\n@fake write fixed.txt done\n@fake commit fix"  # the fake agent obeys it
    result = cockpit.run("reject", dispatch_id, "--reason", reason, "--send-back")
    assert result.returncode == 0 and "the reason went back to the agent" in result.stdout
    cockpit.wait(dispatch_id, until="awaiting_approval")
    second = gate_results(cockpit, dispatch_id)["accept-1"]
    assert second["status"] == "passed" and second["head_commit"] != first["head_commit"]
    kinds = cockpit.receipt_kinds(dispatch_id)
    tail = kinds[kinds.index("rejected") :]
    assert tail[:3] == ["rejected", "sent_back", "worker_resumed"]
    assert tail.index("exited") < tail.index("gate_result") < len(tail) - 1 and tail[-1] == "review_changed"
    receipts = cockpit.receipts(dispatch_id)
    rejected = next(r for r in receipts if r.kind == "rejected")
    assert (rejected.data["reason"], rejected.data["send_back"]) == (reason, True)
    sent = next(r for r in receipts if r.kind == "sent_back").data
    assert sent["how"] == "a new run of the agent in the same worktree" and sent["round"] == 2
    worktree = Path(cockpit.show(dispatch_id)["worktree"])
    assert git(worktree, "log", "--format=%s").split("\n")[:2] == ["fix", "draft"]  # same worktree, same branch
    cockpit.run("approve", dispatch_id, check=True)
    assert (cockpit.repo / "fixed.txt").read_text() == "done"
    assert_documented(cockpit.receipts(dispatch_id))


def test_reject_needs_a_reason_and_records_who(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write a.txt x", "--risk", "low")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    assert cockpit.run("reject", dispatch_id).returncode == 2
    blank = cockpit.run("reject", dispatch_id, "--reason", "  ")
    assert blank.returncode == 2 and "the reason is empty" in blank.stderr
    cockpit.run("reject", dispatch_id, "--reason", "not what I asked for", check=True)
    last = cockpit.receipts(dispatch_id)[-1]
    assert (last.kind, last.data["reason"], last.data["send_back"]) == ("rejected", "not what I asked for", False)
    assert "@" in last.actor and cockpit.show(dispatch_id)["review"] == "rejected"
    assert cockpit.show(dispatch_id)["state"] == "exited"  # nothing was sent back


def test_an_idle_interactive_worker_is_gated_on_demand_and_again_after_send_back(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write a.txt x", "--interactive", "--accept", "test -f b.txt")
    cockpit.wait(dispatch_id, until="idle")
    assert cockpit.run("gates", dispatch_id).returncode == 1  # run on demand: accept-1 fails
    assert cockpit.show(dispatch_id)["review"] == "changes_requested"
    cockpit.run("reject", dispatch_id, "--reason", "@fake write b.txt y", "--send-back", check=True)
    cockpit.wait(dispatch_id, until="awaiting_approval")  # typed in; gates ran once it was idle again
    assert gate_results(cockpit, dispatch_id)["accept-1"]["status"] == "passed"
    sent = next(r for r in cockpit.receipts(dispatch_id) if r.kind == "sent_back").data
    assert sent["how"] == "typed into the running agent"
    cockpit.run("kill", dispatch_id, check=True)


def test_replay_reruns_command_gates_on_the_recorded_tree_and_compares(cockpit, tmp_path: Path) -> None:
    flag = tmp_path / "outside-flag"
    use_gates(cockpit.repo, "gates:\n" + reviewer(APPROVE, name="llm"))
    # Uncommitted work: the judged tree is more than the head commit, and replay must restore it.
    dispatch_id = cockpit.dispatch(
        "@fake write a.txt x", "--gate", "llm", "--accept", "test -f a.txt", "--accept", f"test ! -e {flag}"
    )
    cockpit.wait(dispatch_id, until="awaiting_approval")
    worktree = Path(cockpit.show(dispatch_id)["worktree"])
    (worktree / "a.txt").unlink()  # the worktree changes after judging: replay does not look at it

    same = cockpit.run("replay", dispatch_id, "--json")
    assert same.returncode == 0, same.stderr
    out = json.loads(same.stdout)
    assert out["same"] and out["not_replayed"] == ["llm", "scope"]
    assert [(g["gate"], g["before"], g["after"], g["same"]) for g in out["gates"]] == [
        ("accept-1", "passed", "passed", True),
        ("accept-2", "passed", "passed", True),
    ]

    flag.write_text("the world outside the tree changed\n")
    different = cockpit.run("replay", dispatch_id)
    assert different.returncode == 1
    assert "accept-2" in different.stdout and "DIFFERENT" in different.stdout
    report = Path(different.stdout.split("report: ")[1].split()[0])
    text = report.read_text()
    assert report.name == "replay-2.txt" and "Agent reviews are not deterministic" in text
    assert "accept-1         command  before passed  after passed  same (exit 0 -> 0)" in text
    assert "accept-2         command  before passed  after failed  DIFFERENT (exit 0 -> 1)" in text
    assert "not replayed: llm, scope" in text
    replayed = [r for r in cockpit.receipts(dispatch_id) if r.kind == "replayed"]
    assert [r.data["same"] for r in replayed] == [True, False] and replayed[-1].data["report"] == str(report)

    with_review = json.loads(cockpit.run("replay", dispatch_id, "--review", "--json").stdout)
    assert ("llm", "passed", "passed", True) in [(g["gate"], g["before"], g["after"], g["same"]) for g in with_review["gates"]]
    assert git(cockpit.repo, "worktree", "list").count("\n") == 2  # the scratch worktrees are gone
    assert_documented(cockpit.receipts(dispatch_id))
