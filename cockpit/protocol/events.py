"""The events a `subscribe` connection streams, one model per `type`.

The supervisor publishes these models on its bus; the wire carries `{"event": {...}}` lines;
clients parse them back with `parse_event` (the TUI turns each into a Textual message).
An event type a client does not know parses as `UnknownEvent`, so a newer supervisor never
breaks an older client.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from cockpit.domain.receipt import Receipt
from cockpit.protocol.views import DispatchView


class Event(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Hello(Event):
    """The first line of every subscription: from here on nothing is missed."""

    type: Literal["hello"] = "hello"
    pid: int
    version: str


class Dropped(Event):
    """The subscriber fell behind and was dropped: it reconnects and re-reads state."""

    type: Literal["dropped"] = "dropped"


class ReceiptAppended(Event):
    type: Literal["receipt"] = "receipt"
    receipt: Receipt


class DispatchChanged(Event):
    type: Literal["dispatch"] = "dispatch"
    dispatch: DispatchView


class OutputArrived(Event):
    """A worker printed something (its log grew to `size` bytes)."""

    type: Literal["output"] = "output"
    id: str
    size: int


class GatesFinished(Event):
    type: Literal["gates_finished"] = "gates_finished"
    id: str
    review: str
    blockers: list[str] = []


class Notified(Event):
    """A notification for the terminal of a TUI that asked for them (OSC 9 / OSC 777)."""

    type: Literal["notify"] = "notify"
    title: str
    text: str
    kind: str
    dispatch: str | None = None


class PermissionsPending(Event):
    type: Literal["permissions"] = "permissions"
    pending: int


class UnknownEvent(Event):
    """An event type this client does not know (a newer supervisor): ignored."""

    type: str


KnownEvent = Annotated[
    Hello | Dropped | ReceiptAppended | DispatchChanged | OutputArrived | GatesFinished | Notified | PermissionsPending,
    Field(discriminator="type"),
]
_KNOWN: TypeAdapter[KnownEvent] = TypeAdapter(KnownEvent)
KNOWN_TYPES = frozenset(("hello", "dropped", "receipt", "dispatch", "output", "gates_finished", "notify", "permissions"))


def parse_event(raw: object) -> Event:
    """An event from its wire form; an unknown `type` gives UnknownEvent, a malformed known one raises."""
    if isinstance(raw, dict) and raw.get("type") not in KNOWN_TYPES:
        return UnknownEvent(type=str(raw.get("type")))
    return _KNOWN.validate_python(raw)


__all__ = ["KNOWN_TYPES", "Event", "ValidationError", "parse_event"]
