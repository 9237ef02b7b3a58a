"""The lines on the channel as models, for the supervisor (the light encoding the CLI's
client uses without pydantic is wire.py).

Request:  {"id": n, "op": "status", "args": {...}}
Reply:    {"id": n, "ok": true, "result": ...}
      or  {"id": n, "ok": false, "error": {"code": ..., "message": ..., "hint": ..., "exit_code": 1|2}}
Event:    {"event": {"type": ..., ...}}   (after a `subscribe` request)
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from cockpit.protocol.errors import ErrorBody
from cockpit.protocol.events import Event
from cockpit.protocol.wire import encode, request_line, to_wire

__all__ = ["RequestLine", "ReplyLine", "encode", "error_line", "event_line", "reply_line", "request_line", "to_wire"]


class RequestLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str | None = None
    op: str
    # any values (pydantic leaves them as sent) until checked against the op's model (requests.parse_args)
    args: dict[str, object] | None = None


class ReplyLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str | None = None
    ok: bool
    result: Any = None  # the op's reply model, as JSON (replies.REPLIES)
    error: ErrorBody | None = None


def reply_line(request_id: int | str | None, result: Any) -> bytes:
    return encode({"id": request_id, "ok": True, "result": to_wire(result)})


def error_line(request_id: int | str | None, error: ErrorBody) -> bytes:
    return encode({"id": request_id, "ok": False, "error": error.model_dump(mode="json")})


def event_line(event: Event | dict[str, object]) -> bytes:
    # A dict is an event published in the old style (before its model existed here).
    if isinstance(event, Event):  # `type` is a default, so named here; the rest as the maker set it
        body = {"type": getattr(event, "type", None), **event.model_dump(mode="json", exclude_unset=True)}
    else:
        body = event
    return encode({"event": body})


def parse_reply(line: bytes) -> ReplyLine:
    return ReplyLine.model_validate_json(line)
