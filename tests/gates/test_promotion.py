"""From dispatch to `promoted`: gates, review, approval, the merge strategies, failing closed."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from pathlib import Path

from gatekit import (
    APPROVE,
    assert_documented,
    branch_commit,
    checkout_bytes,
    gate_results,
    git,
    git_state,
    reviewer,
    use_gates,
)

GATES = "gates:\n  unit:\n    kind: command\n    run: test -f notes/a.txt\n    timeout: 20\n" + reviewer(APPROVE)


def test_the_whole_path_from_dispatch_to_promoted_with_a_receipt_for_every_step(cockpit) -> None:
    use_gates(cockpit.repo, GATES)
    before = branch_commit(cockpit.repo, "main")
    dispatch_id = cockpit.dispatch(
        "@fake write notes/a.txt hi\n@fake commit add a", "--risk", "high", "--accept", "grep -q hi notes/a.txt"
    )
    cockpit.wait(dispatch_id, until="awaiting_approval")
    results = gate_results(cockpit, dispatch_id)
    assert sorted(results) == ["accept-1", "conflicts", "review", "scope", "unit"]
    worktree = cockpit.show(dispatch_id)["worktree"]
    head = git(worktree, "rev-parse", "HEAD").strip()
    for name, data in results.items():  # evidence: bound to the diff, with a report whose hash matches
        assert (data["status"], data["head_commit"], data["base_commit"]) == ("passed", head, before), name
        assert hashlib.sha256(Path(data["report"]).read_bytes()).hexdigest() == data["report_sha256"]
    assert len({d["diff_sha256"] for d in results.values()}) == 1
    with open(results["accept-1"]["report"]) as report:
        text = report.read()
    assert "grep -q hi notes/a.txt" in text and f"head:     {head}" in text

    review = cockpit.run("review", dispatch_id, check=True).stdout
    assert "diff: 1 file(s), +1 -0" in review and "A notes/a.txt  +1 -0" in review
    for name in results:
        assert f"✔ {name}" in review
    assert f"approving will merge cockpit/{dispatch_id} (1 commit(s)) into main with a merge commit" in review

    approved = cockpit.run("approve", dispatch_id, env={"SSH_CLIENT": "10.1.2.3 50000 22"})
    assert approved.returncode == 0, approved.stderr
    view = cockpit.show(dispatch_id)
    assert view["review"] == "promoted"
    new = branch_commit(cockpit.repo, "main")
    assert git(cockpit.repo, "rev-parse", f"{new}^1", f"{new}^2").split() == [before, head]
    assert (cockpit.repo / "notes" / "a.txt").read_text() == "hi"  # the main checkout moved with main
    assert git(cockpit.repo, "status", "--porcelain") == ""

    kinds = cockpit.receipt_kinds(dispatch_id)
    order = [
        "dispatch_created",
        "worktree_created",
        "worker_started",
        "prompt_delivered",
        "exited",
        "review_changed",
        "diff_stat",
        "gate_started",
        "gate_result",
        "approved",
        "promoted",
    ]
    assert [kinds.index(k) for k in order] == sorted(kinds.index(k) for k in order), kinds
    assert kinds.count("gate_started") == kinds.count("gate_result") == 5
    receipts = {r.kind: r for r in cockpit.receipts(dispatch_id)}
    approval = receipts["approved"]
    identity = approval.data["identity"]
    assert approval.actor == f"{identity['user']}@{socket.gethostname()}"
    assert identity["ssh_client"] == "10.1.2.3 50000 22" and "tty" in identity and identity["uid"] == os.getuid()
    assert approval.data["diff_sha256"] == results["unit"]["diff_sha256"] and approval.data["head"] == head
    promoted = receipts["promoted"].data
    assert (promoted["commit"], promoted["previous"], promoted["target"]) == (new, before, "main")
    assert promoted["diff_sha256"] == approval.data["diff_sha256"]

    again = cockpit.run("approve", dispatch_id)
    assert again.returncode == 1 and "already promoted" in again.stderr
    assert cockpit.run("gates", dispatch_id).returncode == 2  # nothing left to judge
    torn = json.loads(cockpit.run("teardown", dispatch_id, "--json", check=True).stdout)
    assert torn["classification"] == "merged" and torn["archive_ref"] is None
    assert git(cockpit.repo, "for-each-ref", "refs/cockpit/archive") == ""
    assert cockpit.run("receipts", "verify").returncode == 0
    assert_documented(cockpit.receipts(dispatch_id))


def test_squash_promotes_uncommitted_work_as_one_commit(cockpit) -> None:
    before = branch_commit(cockpit.repo, "main")
    dispatch_id = cockpit.dispatch("@fake write a.txt one\n@fake commit one\n@fake write b.txt two", "--risk", "low")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    assert "as one squashed commit" in cockpit.run("review", dispatch_id, "--strategy", "squash").stdout
    out = json.loads(cockpit.run("approve", dispatch_id, "--strategy", "squash", "--json", check=True).stdout)
    new = branch_commit(cockpit.repo, "main")
    assert out["commit"] == new and out["worktree_synced"]
    assert git(cockpit.repo, "rev-list", "--parents", "-n1", new).split() == [new, before]  # one parent
    assert (cockpit.repo / "a.txt").read_text() == "one" and (cockpit.repo / "b.txt").read_text() == "two"
    promoted = next(r for r in cockpit.receipts(dispatch_id) if r.kind == "promoted").data
    assert promoted["committed_uncommitted"] and promoted["strategy"] == "squash"
    original = git(cockpit.repo, "rev-parse", f"refs/cockpit/promoted/{dispatch_id}").strip()
    assert git(cockpit.repo, "show", f"{original}:b.txt") == "two"  # the judged commits stay reachable
    torn = json.loads(cockpit.run("teardown", dispatch_id, "--json", check=True).stdout)
    assert torn["classification"] == "merged" and torn["archive_ref"] is None


def test_rebase_replays_the_commits_on_a_target_that_moved(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write w.txt worker\n@fake commit worker change", "--risk", "low")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    (cockpit.repo / "m.txt").write_text("main moved\n")
    git(cockpit.repo, "add", "m.txt")
    git(cockpit.repo, "commit", "-q", "-m", "main moved")
    moved = branch_commit(cockpit.repo, "main")
    cockpit.run("approve", dispatch_id, "--strategy", "rebase", check=True)
    new = branch_commit(cockpit.repo, "main")
    assert git(cockpit.repo, "rev-list", "--parents", "-n1", new).split() == [new, moved]  # linear
    assert git(cockpit.repo, "log", "-1", "--format=%s", new).strip() == "worker change"
    assert (cockpit.repo / "w.txt").read_text() == "worker" and (cockpit.repo / "m.txt").exists()
    assert git(cockpit.show(dispatch_id)["worktree"], "rev-parse", "HEAD").strip() == new
    torn = json.loads(cockpit.run("teardown", dispatch_id, "--json", check=True).stdout)
    assert torn["classification"] == "merged" and torn["archive_ref"] is None


def test_a_merge_conflict_fails_closed_leaving_target_and_checkout_untouched(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write README.md from the worker\n@fake commit worker readme", "--risk", "low")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    (cockpit.repo / "README.md").write_text("from main\n")
    git(cockpit.repo, "commit", "-q", "-am", "main readme")
    state, files = git_state(cockpit.repo), checkout_bytes(cockpit.repo)
    result = cockpit.run("approve", dispatch_id)
    assert result.returncode == 1
    assert "conflicts in: README.md" in result.stderr and "unchanged" in result.stderr
    assert git_state(cockpit.repo) == state and checkout_bytes(cockpit.repo) == files
    kinds = cockpit.receipt_kinds(dispatch_id)
    assert kinds[-4:] == ["approved", "promotion_failed", "gate_result", "review_changed"]
    assert cockpit.show(dispatch_id)["review"] == "changes_requested"
    assert "promoted" not in kinds
    assert_documented(cockpit.receipts(dispatch_id))


def test_uncommitted_changes_in_the_main_checkout_are_never_touched(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write new.txt worker", "--risk", "low")  # left uncommitted
    cockpit.wait(dispatch_id, until="awaiting_approval")
    (cockpit.repo / "README.md").write_text("my unsaved edit\n")
    state, files = git_state(cockpit.repo), checkout_bytes(cockpit.repo)
    result = cockpit.run("approve", dispatch_id)
    assert result.returncode == 1
    assert "uncommitted changes on main (README.md); promotion will not touch them" in result.stderr
    assert git_state(cockpit.repo) == state and checkout_bytes(cockpit.repo) == files
    assert cockpit.receipt_kinds(dispatch_id)[-1] == "approval_refused"
    assert cockpit.show(dispatch_id)["review"] == "awaiting_approval"  # the work itself is fine
    assert "uncommitted changes on main" in cockpit.run("review", dispatch_id).stdout

    # An untracked file the merge would overwrite: `merge --ff-only` refuses, nothing changes.
    git(cockpit.repo, "checkout", "-q", "--", "README.md")
    (cockpit.repo / "new.txt").write_text("mine, untracked\n")
    state, files = git_state(cockpit.repo), checkout_bytes(cockpit.repo)
    result = cockpit.run("approve", dispatch_id)
    assert result.returncode == 1 and "nothing was merged" in result.stderr
    assert git_state(cockpit.repo) == state and checkout_bytes(cockpit.repo) == files
    assert cockpit.receipt_kinds(dispatch_id)[-2:] == ["approved", "promotion_failed"]

    (cockpit.repo / "new.txt").unlink()
    cockpit.run("approve", dispatch_id, check=True)
    assert (cockpit.repo / "new.txt").read_text() == "worker"
    worktree = cockpit.show(dispatch_id)["worktree"]
    assert git(worktree, "status", "--porcelain") == ""  # its uncommitted work became a commit on its branch
    torn = json.loads(cockpit.run("teardown", dispatch_id, "--json", check=True).stdout)
    assert torn["classification"] == "merged" and torn["archive_ref"] is None
