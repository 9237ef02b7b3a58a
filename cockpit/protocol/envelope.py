"""The lines on the channel: requests, replies and event lines, and how values are put on it.

Request:  {"id": n, "op": "status", "args": {...}}
Reply:    {"id": n, "ok": true, "result": ...}
      or  {"id": n, "ok": false, "error": {"code": ..., "message": ..., "hint": ..., "exit_code": 1|2}}
Event:    {"event": {"type": ..., ...}}   (after a `subscribe` request)
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from cockpit.protocol.errors import ErrorBody
from cockpit.protocol.events import Event


class RequestLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str | None = None
    op: str
    args: dict[str, Any] | None = None  # checked against the op's model (requests.parse_args)


class ReplyLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str | None = None
    ok: bool
    result: Any = None  # the op's reply model, as JSON (replies.REPLIES)
    error: ErrorBody | None = None


def to_wire(value: Any) -> Any:
    """A reply's value as JSON data: models without the fields their maker left unset."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    if isinstance(value, dict):  # arguments may hold models (an Identity)
        return {key: to_wire(item) for key, item in value.items()}
    return value


def encode(obj: Any) -> bytes:
    """One line of the channel."""
    return json.dumps(to_wire(obj), separators=(",", ":"), default=str).encode("utf-8") + b"\n"


def request_line(request_id: int | str | None, op: str, args: dict[str, Any]) -> bytes:
    return encode({"id": request_id, "op": op, "args": args})


def reply_line(request_id: int | str | None, result: Any) -> bytes:
    return encode({"id": request_id, "ok": True, "result": to_wire(result)})


def error_line(request_id: int | str | None, error: ErrorBody) -> bytes:
    return encode({"id": request_id, "ok": False, "error": error.model_dump(mode="json")})


def event_line(event: Event | dict[str, Any]) -> bytes:
    # A dict is an event published in the old style (before its model existed here).
    if isinstance(event, Event):  # `type` is a default, so named here; the rest as the maker set it
        body = {"type": getattr(event, "type", None), **event.model_dump(mode="json", exclude_unset=True)}
    else:
        body = event
    return encode({"event": body})


def parse_reply(line: bytes) -> ReplyLine:
    return ReplyLine.model_validate_json(line)
