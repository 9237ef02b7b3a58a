"""Line comments on a dispatch's diff, sent back to its agent as one message: a new round for
a finished headless worker, typed into a live interactive one; gates run again; a comment is
resolved once its hunk changes."""

from __future__ import annotations

import json
from pathlib import Path

from review_loop_kit import assert_documented, wait_for_kind_after

FIRST = "@fake write a.txt alpha\\nbeta\\ngamma\\n\n@fake write b.txt other\\n\n@fake commit first"


def _comments(cockpit, dispatch_id: str) -> list[dict]:
    out = cockpit.run("comments", dispatch_id, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["comments"]


def test_comments_go_back_as_one_round_and_resolve_when_their_hunk_changes(cockpit) -> None:
    dispatch_id = cockpit.dispatch(FIRST, "--risk", "low")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    fix = "please say delta here\n@fake write a.txt alpha\\ndelta\\ngamma\\n\n@fake commit fix"
    made = cockpit.run("comment", dispatch_id, "a.txt:2", fix)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == f"comment c1 on a.txt line 2 of {dispatch_id}"
    cockpit.run("comment", dispatch_id, "b.txt:1-1", "fine as it is", check=True)
    listed = _comments(cockpit, dispatch_id)
    assert [(c["comment"], c["file"], c["line_start"], c["sent"], c["resolved"]) for c in listed] == [
        ("c1", "a.txt", 2, False, False),
        ("c2", "b.txt", 1, False, False),
    ]
    assert listed[0]["hunk"] == "@@ -0,0 +1,3 @@\n+alpha\n+beta\n+gamma"
    text = cockpit.run("comments", dispatch_id).stdout
    assert "c1   open     a.txt:2" in text and "     please say delta here" in text

    sent = cockpit.run("comments", "send", dispatch_id)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith(f"sent 2 comment(s) (c1, c2) to {dispatch_id}: a new run of the agent in the same worktree")
    receipts = wait_for_kind_after(cockpit, dispatch_id, "comments_sent", "review_changed", to="awaiting_approval")
    kinds = [r.kind for r in receipts]
    tail = kinds[kinds.index("comments_sent") :]
    assert tail[:2] == ["comments_sent", "worker_resumed"] and "gate_result" in tail  # the gates ran again
    record = next(r for r in receipts if r.kind == "comments_sent")
    assert record.data["comments"] == ["c1", "c2"] and record.data["round"] == 2 and record.data["resumed_session"]
    message = (cockpit.ws.state.dispatch_dir(dispatch_id) / "round-2.txt").read_text()
    assert message.startswith("The reviewer left 2 comments on your change.")
    assert "## Comment 1 of 2: a.txt, line 2\nThe hunk:\n```diff\n@@ -0,0 +1,3 @@\n+alpha\n+beta\n+gamma\n```" in message
    assert "## Comment 2 of 2: b.txt, line 1" in message and "fine as it is" in message
    worktree = Path(cockpit.show(dispatch_id)["worktree"])
    assert (worktree / "a.txt").read_text() == "alpha\ndelta\ngamma\n"

    after = _comments(cockpit, dispatch_id)
    assert [(c["comment"], c["sent"], c["resolved"]) for c in after] == [("c1", True, True), ("c2", True, False)]
    again = cockpit.run("comments", "send", dispatch_id)
    assert again.returncode == 1 and f"no unsent comments on {dispatch_id}" in again.stderr
    assert_documented(cockpit.receipts(dispatch_id))


def test_a_comment_outside_the_diff_is_refused_and_nothing_is_written(cockpit) -> None:
    dispatch_id = cockpit.dispatch(FIRST, "--risk", "low")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    ledger = cockpit.ws.state.ledger_dir / "ledger.ndjson"
    before = ledger.read_bytes()
    cases = {
        "a.txt:7": f"a.txt:7 is outside the diff of {dispatch_id}; the diff shows a.txt at lines 1-3",
        "a.txt:2-9": f"a.txt:2-9 is outside the diff of {dispatch_id}",
        "README.md:1": f"README.md is not in the diff of {dispatch_id}; files with changed lines: a.txt, b.txt",
        "a.txt": "'a.txt' is not FILE:LINE or FILE:LINE-LINE",
        "a.txt:3-2": "the range must not run backwards",
    }
    for anchor, expected in cases.items():
        out = cockpit.run("comment", dispatch_id, anchor, "text")
        assert out.returncode == 2, (anchor, out.stderr)
        assert expected in out.stderr and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr, out.stderr
    empty = cockpit.run("comment", dispatch_id, "a.txt:1", "   ")
    assert empty.returncode == 2 and "the comment is empty" in empty.stderr
    assert ledger.read_bytes() == before
    assert _comments(cockpit, dispatch_id) == []


def test_comments_are_typed_into_a_live_interactive_session(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write a.txt one\\n", "--interactive")
    cockpit.wait(dispatch_id, until="idle")
    cockpit.run("comment", dispatch_id, "a.txt:1", "@fake write a.txt two\\n", check=True)
    sent = cockpit.run("comments", "send", dispatch_id, "--json")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["how"] == "typed into the running agent"
    wait_for_kind_after(cockpit, dispatch_id, "comments_sent", "gate_result")  # gates ran once idle again
    worktree = Path(cockpit.show(dispatch_id)["worktree"])
    assert (worktree / "a.txt").read_text() == "two\n"
    assert [(c["sent"], c["resolved"]) for c in _comments(cockpit, dispatch_id)] == [(True, True)]
    assert "round-2.txt" not in {p.name for p in cockpit.ws.state.dispatch_dir(dispatch_id).iterdir()}
    cockpit.run("kill", dispatch_id, check=True)
