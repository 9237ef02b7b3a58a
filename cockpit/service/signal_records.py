"""The lines of a worker's signals file ($COCKPIT_SIGNALS), parsed where they are read.

cockpit's hook script (cockpit/data/signal-hook.sh) and its opencode plugin
(cockpit/data/opencode-signals.js) append one JSON object per event:
`{"source": "hook"|"event", "event": NAME, "payload": {...}}`. The envelope is cockpit's
and is checked here; the payload is the CLI's own JSON.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError, model_validator

# A CLI's own hook or event JSON (claude's hook input, gemini's notification, codex's notify,
# what the opencode plugin passes on): another program's schema, so genuinely any JSON object.
# cockpit reads the few fields it knows with isinstance checks, and the catalog's signal rules
# may match any field (cockpit/domain/provider.py, which takes the same type).
HookPayload = dict[str, object]


class SignalRecord(BaseModel):
    """One event a worker's CLI reported."""

    model_config = ConfigDict(frozen=True)

    source: Literal["hook", "event"]  # a hook the CLI ran, or an event its plugin passed on
    event: StrictStr
    payload: HookPayload

    @model_validator(mode="before")
    @classmethod
    def _envelope(cls, raw: object) -> object:
        """`source` is "hook" unless it says "event"; a line without a payload object is its own payload."""
        if not isinstance(raw, dict):
            return raw
        payload = raw.get("payload")
        return {
            "source": "event" if raw.get("source") == "event" else "hook",
            "event": raw.get("event"),
            "payload": payload if isinstance(payload, dict) else raw,
        }


def parse_signal_line(line: bytes) -> SignalRecord | None:
    """The record on one line; None for a JSON line that is no event (no string `event`).
    Raises ValueError (json's, or UnicodeDecodeError) for a line that is not JSON."""
    raw = json.loads(line)
    try:
        return SignalRecord.model_validate(raw)
    except ValidationError:
        return None
