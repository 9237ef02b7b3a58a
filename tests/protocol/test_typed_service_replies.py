"""The review loop's and worker control's replies as models: what the supervisor builds reaches
the wire with the field names clients have always read (`from`, each comment's fields), and a
reply without them (an older supervisor, the TUI's test double) still parses."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cockpit.domain.dispatch import Dispatch
from cockpit.protocol.envelope import reply_line
from cockpit.protocol.replies import (
    CommentReply,
    CommentsReply,
    ControlDone,
    ControlFailed,
    ControlReply,
    ListedComment,
    Paused,
    ReplayedGate,
    Resumed,
    check_reply,
)
from cockpit.protocol.views import GateResultRow
from cockpit.service.views import dispatch_view, quiet_seconds


def wire(result: object) -> object:
    return json.loads(reply_line(1, result))["result"]


def test_pause_and_resume_items_keep_their_fields_on_the_wire() -> None:
    reply = ControlReply(
        done=[
            Paused(id="a1", paused=True, how="2 process(es) stopped", from_="working"),
            Paused(id="a2", paused=True, already=True, state="paused"),
            Resumed(id="a3", resumed=True, to="idle", how="1 process(es) continued", paused_ms=1500),
        ],
        failed=[ControlFailed(id="a4", error="it is exited, not running")],
    )
    assert wire(reply) == {
        "done": [
            {"id": "a1", "paused": True, "how": "2 process(es) stopped", "from": "working"},
            {"id": "a2", "paused": True, "already": True, "state": "paused"},
            {"id": "a3", "resumed": True, "to": "idle", "how": "1 process(es) continued", "paused_ms": 1500},
        ],
        "failed": [{"id": "a4", "error": "it is exited, not running"}],
    }


def test_a_pause_reply_as_json_parses_back_with_every_field() -> None:
    parsed = check_reply("pause", {"done": [{"id": "a1", "how": "1 process(es) stopped", "from": "idle"}], "failed": []})
    assert isinstance(parsed.done[0], ControlDone)
    assert wire(parsed) == {"done": [{"id": "a1", "how": "1 process(es) stopped", "from": "idle"}], "failed": []}


def test_comments_carry_every_recorded_field_and_where_they_are_now() -> None:
    recorded = {
        "comment": "c1",
        "file": "a.py",
        "line_start": 3,
        "line_end": 4,
        "text": "why?",
        "hunk": "@@ -1,2 +3,2 @@\n+x\n+y",
        "diff_sha256": "0" * 64,
    }
    assert wire(CommentReply(id="d1", **recorded)) == {"id": "d1", **recorded}
    listed = ListedComment(**recorded, actor="me", ts="t", seq=7, sent=False, resolved=False, line_start_now=5, line_end_now=6)
    assert wire(CommentsReply(id="d1", comments=[listed])) == {
        "id": "d1",
        "comments": [
            {
                **recorded,
                "actor": "me",
                "ts": "t",
                "seq": 7,
                "sent": False,
                "resolved": False,
                "line_start_now": 5,
                "line_end_now": 6,
            }
        ],
    }


def test_a_replayed_gate_keeps_its_recorded_nulls() -> None:
    gate = ReplayedGate(
        gate="scope",
        kind="scope",
        before="passed",
        after="passed",
        same=True,
        head="h",
        tree="t",
        exit_before=None,
        exit_after=None,
        summary_before="",
        summary_after="",
    )
    assert wire(gate) == {
        "gate": "scope",
        "kind": "scope",
        "before": "passed",
        "after": "passed",
        "same": True,
        "head": "h",
        "tree": "t",
        "exit_before": None,
        "exit_after": None,
        "summary_before": "",
        "summary_after": "",
    }


def _dispatch(**changes: object) -> Dispatch:
    fields: dict[str, object] = {
        "id": "0123456789",
        "created_seq": 1,
        "created_ts": "2026-11-28T10:00:00.000000Z",
        "updated_ts": "2026-11-28T10:00:00.000000Z",
        "title": "t",
        "prompt_sha256": "0" * 64,
        "prompt_bytes": 1,
        "provider": "fake",
        "mode": "headless",
        "base_ref": "main",
        "branch": "cockpit/0123456789",
        "worktree": "/tmp/w",
        "task": '{"risk": "low"}',
        "state": "working",
        "started_ts": "2026-11-28T10:00:00.000000Z",
        "quiet_since_ts": "2026-11-28T10:00:10.000000Z",
    }
    return Dispatch.model_validate({**fields, **changes})


def test_a_dispatch_view_has_log_gates_and_position_only_when_given() -> None:
    now = datetime(2026, 11, 28, 10, 0, 30, tzinfo=UTC)
    bare = wire(dispatch_view(_dispatch(), now=now))
    assert isinstance(bare, dict)
    assert not {"log", "gates", "as_of_seq"} & set(bare)
    assert bare["task"] == {"risk": "low"} and bare["elapsed_s"] == 30.0 and bare["quiet_s"] == 20
    assert bare["state_detail"] == "no output for 20 s"
    row = GateResultRow(dispatch="0123456789", gate="scope", seq=3, ts="t", kind="scope", status="passed")
    full = wire(dispatch_view(_dispatch(), log="/l", gates=[row], as_of_seq=9, now=now))
    assert isinstance(full, dict)
    assert full["log"] == "/l" and full["as_of_seq"] == 9
    assert full["gates"] == [
        {"dispatch": "0123456789", "gate": "scope", "seq": 3, "ts": "t", "kind": "scope", "status": "passed"}
    ]


def test_quiet_seconds_reads_the_model_and_its_json_alike() -> None:
    now = datetime(2026, 11, 28, 10, 0, 30, tzinfo=UTC)
    view = dispatch_view(_dispatch(), now=now)
    as_json = wire(view)
    assert isinstance(as_json, dict)
    assert quiet_seconds(view, now) == quiet_seconds(as_json, now) == 20
    idle = dispatch_view(_dispatch(state="idle"), now=now)
    assert quiet_seconds(idle, now) is None and idle.state_detail is None
