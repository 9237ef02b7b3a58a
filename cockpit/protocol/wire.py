"""The channel's lines, without pydantic: what the CLI's blocking client needs to talk to the
supervisor. It starts on every command, so it loads no models (envelope.py has them, for the
supervisor, which checks every request and reply against them).

Request:  {"id": n, "op": "status", "args": {...}}
Reply:    {"id": n, "ok": true, "result": ...}
      or  {"id": n, "ok": false, "error": {"code": ..., "message": ..., "hint": ..., "exit_code": 1|2}}
Event:    {"event": {"type": ..., ...}}   (after a `subscribe` request)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cockpit.protocol.codes import raise_error_fields

LINE_LIMIT = 16 * 1024 * 1024  # a 1 MiB prompt, JSON-escaped, fits with room to spare


def to_wire(value: Any) -> Any:
    """A value as JSON data: models (anything with pydantic's `model_dump`) without the
    fields their maker left unset, so optional fields stay absent as they always were."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    if isinstance(value, dict):  # arguments may hold models (an Identity)
        return {key: to_wire(item) for key, item in value.items()}
    return value


def encode(obj: Any) -> bytes:
    """One line of the channel."""
    return json.dumps(to_wire(obj), separators=(",", ":"), default=str).encode("utf-8") + b"\n"


def request_line(request_id: int | str | None, op: str, args: Mapping[str, object]) -> bytes:
    # any values: to_wire turns models into JSON, encode() the rest (the supervisor checks them)
    return encode({"id": request_id, "op": op, "args": args})


def reply_id(reply: Any) -> Any:
    return reply.get("id") if isinstance(reply, dict) else None


def result_of(reply: Any) -> Any:
    """A reply's result, or its error raised (with its code) as a CockpitError."""
    if not isinstance(reply, dict):
        raise_error_fields(None, "the supervisor sent something that is not a reply", None, 1)
    if not reply.get("ok"):
        error = reply.get("error") if isinstance(reply.get("error"), dict) else {}
        raise_error_fields(error.get("code"), error.get("message"), error.get("hint"), error.get("exit_code"))
    return reply.get("result")
