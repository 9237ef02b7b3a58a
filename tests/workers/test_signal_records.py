"""The lines of a worker's signals file, parsed where they are read (service/signal_records.py):
cockpit's envelope checked, the CLI's own payload kept whole."""

from __future__ import annotations

import json

import pytest

from cockpit.service.signal_records import SignalRecord, parse_signal_line


def line(value: object) -> bytes:
    return json.dumps(value).encode()


def test_a_hook_line_keeps_its_payload_whole() -> None:
    payload = {"tool_name": "Bash", "tool_input": {"command": "ls"}, "anything": [1, None, {"x": True}]}
    record = parse_signal_line(line({"source": "hook", "event": "PreToolUse", "payload": payload}))
    assert record == SignalRecord(source="hook", event="PreToolUse", payload=payload)


def test_an_event_line_says_so_and_any_other_source_is_a_hook() -> None:
    event = parse_signal_line(line({"source": "event", "event": "session.idle", "payload": {"sessionID": "s"}}))
    assert event is not None and event.source == "event"
    for source in ("plugin", None, 3):
        other = parse_signal_line(line({"source": source, "event": "Stop", "payload": {}}))
        assert other is not None and other.source == "hook"


def test_a_line_without_a_payload_object_is_its_own_payload() -> None:
    raw = {"event": "Notification", "payload": ["not", "an", "object"], "message": "Allow?"}
    record = parse_signal_line(line(raw))
    assert record is not None and record.payload == raw


@pytest.mark.parametrize("raw", [{"event": 3, "payload": {}}, {"payload": {}}, ["event"], "Stop", None])
def test_a_json_line_that_is_no_event_is_skipped(raw: object) -> None:
    assert parse_signal_line(line(raw)) is None


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe"])
def test_a_line_that_is_not_json_raises_for_the_reader_to_log(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse_signal_line(raw)
