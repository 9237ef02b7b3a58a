"""The protocol module (cockpit/protocol): arguments checked by the op's model, errors with a
machine code, events that survive the wire, and a real supervisor that speaks it."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from cockpit.domain.receipt import GENESIS, seal
from cockpit.errors import CheckFailed, UsageError
from cockpit.protocol import events as ev
from cockpit.protocol.envelope import event_line, parse_reply
from cockpit.protocol.errors import ErrorBody, ErrorCode, error_body, is_unknown_op, raise_error
from cockpit.protocol.replies import LIST_REPLIES, REPLIES, check_reply
from cockpit.protocol.requests import REQUESTS, parse_args
from cockpit.ui.static_source import StaticSource


def test_every_request_has_a_reply_model_but_subscribe() -> None:
    assert set(REQUESTS) - {"subscribe"} == set(REPLIES)
    assert LIST_REPLIES <= set(REPLIES)


def test_an_unknown_op_is_its_own_code() -> None:
    with pytest.raises(UsageError) as caught:
        parse_args("frobnicate", {})
    assert caught.value.code == ErrorCode.UNKNOWN_OP and is_unknown_op(caught.value)


@pytest.mark.parametrize(
    ("op", "args", "words"),
    [
        ("show", {}, "id: Field required"),
        ("show", {"id": "abcd", "colour": "red"}, "colour: Extra inputs are not permitted"),
        ("wait", {"id": "abcd", "timeout": "soon"}, "timeout: Input should be a valid number"),
        ("approve", {"id": "abcd", "identity": {"user": 3.5}}, "identity.user: Input should be a valid string"),
    ],
)
def test_bad_arguments_are_one_usage_line_naming_the_field(op: str, args: dict[str, Any], words: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_args(op, args)
    error = caught.value
    assert error.code is None and error_body(error).code == ErrorCode.USAGE and error.exit_code == 2
    assert words in error.message and "\n" not in error.message
    assert error.message.startswith(f"bad arguments for {op!r}: ")


def test_numbers_are_accepted_as_ids_as_before() -> None:
    assert parse_args("show", {"id": 1234}).id == "1234"  # type: ignore[attr-defined]


def test_an_error_keeps_its_code_and_class_across_the_wire() -> None:
    body = ErrorBody.model_validate_json(error_body(UsageError("no dispatch 'x'", code=ErrorCode.NOT_FOUND)).model_dump_json())
    with pytest.raises(UsageError) as caught:
        raise_error(body)
    assert caught.value.code == ErrorCode.NOT_FOUND and caught.value.message == "no dispatch 'x'"
    with pytest.raises(CheckFailed) as failed:
        raise_error(error_body(CheckFailed("gates failed")))
    assert failed.value.code == ErrorCode.CHECK_FAILED
    assert ErrorBody.model_validate({"message": "old", "exit_code": 2}).code == ErrorCode.SERVICE  # a pre-protocol reply


def receipt() -> Any:
    return seal(
        seq=1, ts="2026-03-14T15:00:00.000000Z", kind="dispatch_created", actor="t", dispatch=None, data={}, prev=GENESIS
    )[0]


@pytest.mark.parametrize(
    "event",
    [
        ev.Hello(pid=1, version="0"),
        ev.Dropped(),
        ev.OutputArrived(id="abcdefghij", size=10),
        ev.GatesFinished(id="abcdefghij", review="awaiting_approval", blockers=[]),
        ev.Notified(title="t", text="x", kind="waiting", dispatch=None),
        ev.PermissionsPending(pending=2),
    ],
    ids=lambda e: e.type,
)
def test_each_event_comes_back_as_the_model_it_left_as(event: ev.Event) -> None:
    wire = json.loads(event_line(event))["event"]
    assert wire["type"] == event.type  # type: ignore[attr-defined]
    assert ev.parse_event(wire) == event


def test_a_receipt_event_carries_the_receipt_itself() -> None:
    r = receipt()
    back = ev.parse_event(json.loads(event_line(ev.ReceiptAppended(receipt=r)))["event"])
    assert isinstance(back, ev.ReceiptAppended) and back.receipt == r


def test_an_event_type_from_a_newer_supervisor_is_ignorable_not_an_error() -> None:
    assert isinstance(ev.parse_event({"type": "sparkles", "n": 1}), ev.UnknownEvent)
    with pytest.raises(ValueError):
        ev.parse_event({"type": "output", "id": "x"})  # a known type, malformed: that is an error


def test_a_reply_missing_a_field_is_refused_by_its_model() -> None:
    with pytest.raises(ValueError):
        check_reply("wait", {"id": "x", "reached": True})
    assert check_reply("frobnicate", {"any": "thing"}) == {"any": "thing"}  # not described yet: as it is


def test_the_test_double_refuses_what_the_supervisor_refuses() -> None:
    import asyncio
    from datetime import UTC, datetime

    source = StaticSource(views=[], clock=datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(UsageError) as caught:
        asyncio.run(source.call("wait", id="x"))  # a request it does not serve: the unknown_op code
    assert is_unknown_op(caught.value)
    with pytest.raises(UsageError) as bad:
        asyncio.run(source.call("status", everything=True))
    assert "everything: Extra inputs are not permitted" in bad.value.message


def ask(path: str, line: bytes) -> Any:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        sock.sendall(line)
        with sock.makefile("rb") as replies:
            return parse_reply(replies.readline())


@pytest.mark.tmux
@pytest.mark.integration
def test_a_real_supervisor_answers_in_the_protocol(cockpit: Any) -> None:
    ping = cockpit.call("ping")
    assert set(ping) == {"pid", "version", "live", "socket", "tmux_socket"}
    path = str(cockpit.ws.state.socket_path)
    unknown = ask(path, b'{"id": 1, "op": "frobnicate", "args": {}}\n')
    assert unknown.id == 1 and not unknown.ok and unknown.error.code == ErrorCode.UNKNOWN_OP
    malformed = ask(path, b"{not json\n")
    assert malformed.error.code == ErrorCode.MALFORMED and malformed.error.exit_code == 2
    bad = ask(path, b'{"id": 2, "op": "show", "args": {"id": "abcd", "colour": 1}}\n')
    assert bad.error.code == ErrorCode.USAGE and "colour" in bad.error.message
    missing = ask(path, b'{"id": 3, "op": "show", "args": {"id": "zzzz"}}\n')
    assert missing.error.code == ErrorCode.NOT_FOUND and missing.error.exit_code == 2
    assert cockpit.call("status") == []


def test_the_cli_and_its_client_start_without_loading_pydantic() -> None:
    """Every command starts the CLI: the blocking client speaks the wire (protocol/wire.py,
    protocol/codes.py) without the models, which the supervisor checks everything against."""
    import subprocess
    import sys

    code = (
        "import sys, cockpit.cli, cockpit.cli.workers, cockpit.cli.review_cmds\n"
        "from cockpit.service.client import SupervisorClient\n"
        "assert 'pydantic' not in sys.modules, sorted(m for m in sys.modules if m.startswith('cockpit'))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_light_client_raises_the_code_it_was_sent() -> None:
    from cockpit.protocol.wire import result_of

    with pytest.raises(UsageError) as caught:
        result_of({"id": 1, "ok": False, "error": {"code": "unknown_op", "message": "no", "hint": None, "exit_code": 2}})
    assert is_unknown_op(caught.value)
    with pytest.raises(CheckFailed) as old:
        result_of({"id": 1, "ok": False, "error": {"message": "refused", "exit_code": 1}})  # a pre-protocol supervisor
    assert old.value.code == ErrorCode.SERVICE and old.value.message == "refused"
    assert result_of({"id": 1, "ok": True, "result": [1]}) == [1]
