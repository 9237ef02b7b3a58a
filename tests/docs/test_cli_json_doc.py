"""docs/cli-json.md must stay true: it names exactly the fields of each reply model, and what
real commands print with --json (real supervisor, git, tmux and fake agent) has no field it
does not name and every field it does not call "sometimes"."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from cockpit.domain.hosts import HostProbe
from cockpit.protocol import replies
from cockpit.protocol.views import DispatchView, GateResultRow

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli-json.md"
MODELS: dict[str, type[BaseModel]] = {
    "DispatchView": DispatchView,
    "GateResultRow": GateResultRow,
    "KillReply": replies.KillReply,
    "TeardownReply": replies.TeardownReply,
    "RestoreReply": replies.RestoreReply,
    "GatesReply": replies.GatesReply,
    "ReviewReply": replies.ReviewReply,
    "ReviewGate": replies.ReviewGate,
    "DiffSummary": replies.DiffSummary,
    "ApproveReply": replies.ApproveReply,
    "ReplayReply": replies.ReplayReply,
    "PendingPermission": replies.PendingPermission,
    "RoundReply": replies.RoundReply,
    "CommentsSendReply": replies.CommentsSendReply,
    "CommentReply": replies.CommentReply,
    "CommentsReply": replies.CommentsReply,
    "ListedComment": replies.ListedComment,
    "ControlReply": replies.ControlReply,
    "HostProbe": HostProbe,
}

# Fields a command prints beside its model's own: `cockpit hosts --json` adds the `usable` property.
PRINTED_BESIDES: dict[str, set[str]] = {"HostProbe": {"usable"}}


def documented() -> dict[str, dict[str, bool]]:
    """Per section (`## Name`): field -> always present (its meaning does not say "sometimes")."""
    sections: dict[str, dict[str, bool]] = {}
    current: dict[str, bool] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), {})
        elif current is not None and (row := re.match(r"\| `(\w+)` \| [^|]* \| (.*) \|$", line)):
            current[row.group(1)] = not row.group(2).startswith("sometimes")
    return sections


def test_every_reply_model_is_documented_field_for_field() -> None:
    sections = documented()
    for name, model in MODELS.items():
        assert name in sections, f"docs/cli-json.md has no section for {name}"
        printed = set(model.model_fields) | PRINTED_BESIDES.get(name, set())
        assert set(sections[name]) == printed, f"{name}: the doc and the model disagree"


def test_every_section_is_a_model_checked_here() -> None:
    assert set(documented()) == set(MODELS)


def check(printed: Any, name: str) -> None:
    """What a command printed against the doc's section `name`: no unnamed field, every
    always-present field there."""
    fields = documented()[name]
    assert isinstance(printed, dict), printed
    assert set(printed) <= set(fields), f"{name}: undocumented {sorted(set(printed) - set(fields))}"
    missing = [f for f, always in fields.items() if always and f not in printed]
    assert not missing, f"{name}: documented as always present but missing: {missing}"


def as_json(cockpit: Any, *args: str) -> Any:
    return json.loads(cockpit.run(*args, "--json", check=True).stdout)


@pytest.mark.tmux
@pytest.mark.integration
def test_what_the_commands_print_is_what_the_doc_says(cockpit: Any) -> None:
    view = as_json(cockpit, "dispatch", "@fake write a.txt one\n@fake commit one", "--risk", "low", "--accept", "test -f a.txt")
    check(view, "DispatchView")
    dispatch_id = view["id"]
    cockpit.wait(dispatch_id, until="awaiting_approval")

    for row in as_json(cockpit, "status"):
        check(row, "DispatchView")
        for gate in row["gates"]:
            check(gate, "GateResultRow")
    review = as_json(cockpit, "review", dispatch_id)
    check(review, "ReviewReply")
    check(review["diff"], "DiffSummary")
    assert review["gates"], review
    for gate in review["gates"]:
        check(gate, "ReviewGate")
    check(as_json(cockpit, "gates", dispatch_id), "ReviewReply")  # it waits for the run, then reviews
    check(as_json(cockpit, "gates", dispatch_id, "--no-wait"), "GatesReply")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    replay = as_json(cockpit, "replay", dispatch_id)
    check(replay, "ReplayReply")
    check(as_json(cockpit, "approve", dispatch_id), "ApproveReply")
    check(as_json(cockpit, "kill", dispatch_id), "KillReply")  # it had exited: killed is false
    check(as_json(cockpit, "teardown", dispatch_id), "TeardownReply")  # merged: nothing to archive

    other = cockpit.dispatch("@fake write b.txt two\n@fake commit two", "--risk", "low")
    cockpit.wait(other)
    check(as_json(cockpit, "teardown", other), "TeardownReply")  # committed work: archived
    check(as_json(cockpit, "restore", other), "RestoreReply")
    assert as_json(cockpit, "permissions") == []


@pytest.mark.tmux
@pytest.mark.integration
def test_what_the_review_loop_and_control_commands_print_is_what_the_doc_says(cockpit: Any) -> None:
    dispatch_id = cockpit.dispatch("@fake write a.txt one\\n\n@fake commit one", "--risk", "low")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    check(as_json(cockpit, "comment", dispatch_id, "a.txt:1", "@fake say seen"), "CommentReply")
    listed = as_json(cockpit, "comments", dispatch_id)
    check(listed, "CommentsReply")
    assert len(listed["comments"]) == 1, listed
    check(listed["comments"][0], "ListedComment")
    check(as_json(cockpit, "comments", "send", dispatch_id), "CommentsSendReply")
    # the comments' round ends in a second `exited`; only then may `continue` start a third
    deadline = time.monotonic() + 120
    while cockpit.receipt_kinds(dispatch_id).count("exited") < 2:
        assert time.monotonic() < deadline, cockpit.receipt_kinds(dispatch_id)
        time.sleep(0.2)
    check(as_json(cockpit, "continue", dispatch_id, "@fake say round three"), "RoundReply")

    # `@fake sleep`: a worker that is still running when `pause` reaches it
    running = cockpit.dispatch("@fake sleep 120")
    cockpit.wait(running, until="working")
    paused = as_json(cockpit, "pause", running)
    check(paused, "ControlReply")
    assert [item["id"] for item in paused["done"]] == [running] and paused["done"][0]["paused"], paused
    resumed = as_json(cockpit, "resume", running)
    check(resumed, "ControlReply")
    assert resumed["done"][0]["resumed"] and resumed["done"][0]["to"], resumed
