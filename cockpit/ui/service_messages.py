"""The supervisor's events as Textual messages, one class per event kind.

The app's event stream turns each protocol event (cockpit/protocol/events.py) into one of
these and posts it; handlers are `on_<name>` methods, as for any Textual message. Output
arrives in bursts: consecutive `WorkerOutput` messages for one worker merge into one
(`can_replace`), so a chatty worker costs one screen fetch, not one per chunk.
"""

from __future__ import annotations

from textual.message import Message

from cockpit.domain.receipt import Receipt
from cockpit.protocol import events as ev
from cockpit.protocol.views import DispatchView


class DispatchUpdated(Message):
    """A dispatch's view changed. Never merged: each change may raise its own alert."""

    def __init__(self, view: DispatchView) -> None:  # what the board keeps
        super().__init__()
        self.view = view


class ReceiptArrived(Message):
    def __init__(self, receipt: Receipt) -> None:
        super().__init__()
        self.receipt = receipt


class WorkerOutput(Message):
    """A worker printed something: the pane showing it fetches its screen."""

    def __init__(self, dispatch_id: str) -> None:
        super().__init__()
        self.dispatch_id = dispatch_id

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, WorkerOutput) and message.dispatch_id == self.dispatch_id


class GatesDone(Message):
    def __init__(self, dispatch_id: str, review: str) -> None:
        super().__init__()
        self.dispatch_id = dispatch_id
        self.review = review


class TerminalNotification(Message):
    """The supervisor's notification, for this terminal (OSC 9 / OSC 777)."""

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title = title
        self.text = text


class PermissionsChanged(Message):
    def __init__(self, pending: int) -> None:
        super().__init__()
        self.pending = pending

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PermissionsChanged)  # only the latest count matters


def message_for(event: ev.Event) -> Message | None:
    """The message for an event; None for the stream's own (hello, dropped) and unknown ones."""
    if isinstance(event, ev.DispatchChanged):
        return DispatchUpdated(event.dispatch)
    if isinstance(event, ev.ReceiptAppended):
        return ReceiptArrived(event.receipt)
    if isinstance(event, ev.OutputArrived):
        return WorkerOutput(event.id)
    if isinstance(event, ev.GatesFinished):
        return GatesDone(event.id, event.review)
    if isinstance(event, ev.Notified):
        return TerminalNotification(event.title, event.text)
    if isinstance(event, ev.PermissionsPending):
        return PermissionsChanged(event.pending)
    return None
