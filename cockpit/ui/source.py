"""Where the TUI's data comes from: the live supervisor, or fixed data for snapshots.

The app only ever talks to a `Source`: requests (`call`), a stream of events, the
receipt pages, the clock and attaching. `LiveSource` is the real one, over the
supervisor's channel; `StaticSource` (static_source.py) serves fixed views so that
screenshots are the same on every run. Both speak cockpit/protocol: the same argument
models, reply models, error codes and event models as the supervisor.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from cockpit.domain.receipt import Receipt
from cockpit.errors import CockpitError
from cockpit.protocol import requests as req
from cockpit.protocol.errors import is_unknown_op
from cockpit.protocol.events import Event
from cockpit.protocol.requests import Identity
from cockpit.service.async_client import AsyncSupervisorClient
from cockpit.service.identity import operator_actor, operator_identity
from cockpit.service.receipt_pages import ReceiptPages
from cockpit.service.ui_support import attach_blocking, can_attach
from cockpit.service.workspace import Workspace


class Pages(Protocol):
    """Random access to receipts by index (0 = oldest); see service/receipt_pages.py."""

    @property
    def count(self) -> int: ...

    def refresh(self) -> int: ...

    def get(self, index: int) -> Receipt | None: ...

    def latest(self, count: int) -> list[Receipt]: ...

    def index_of_seq(self, seq: int) -> int | None: ...


class Source(Protocol):
    label: str

    def now(self) -> datetime: ...

    async def call(self, op: str, **args: Any) -> Any: ...

    def events(self) -> AsyncGenerator[Event, None]: ...

    def pages(self) -> Pages: ...

    def can_attach(self, dispatch_id: str) -> None: ...

    def attach(self, dispatch_id: str) -> int: ...

    def actor(self) -> str: ...

    def identity(self) -> Identity: ...

    async def close(self) -> None: ...


R = TypeVar("R", bound=BaseModel)


async def send(source: Source, request: req.Args) -> object:
    """One request, its op and arguments from its model (cockpit/protocol/requests.py); the
    answer is the reply's JSON (read it with `read_reply`)."""
    return await source.call(request.op, **request.model_dump(exclude_unset=True))


def read_reply(model: type[R], result: object) -> R:
    """A reply's result (JSON, as `Source.call` answers) as its model (cockpit/protocol/replies.py);
    pydantic's ValidationError when it is not one."""
    return model.model_validate(result)


def read_replies(model: type[R], result: object) -> list[R]:
    """A list reply (`status`, `providers`, `skills`, `permissions`) as its models."""
    if not isinstance(result, list):
        raise ValueError(f"the supervisor answered {type(result).__name__}, not a list of {model.__name__}")
    return [model.model_validate(item) for item in result]


def unknown_op(exc: CockpitError) -> bool:
    """True when the supervisor says it has no such request (an older or partial supervisor):
    its error code says so (cockpit.protocol.errors.ErrorCode.UNKNOWN_OP), not its words."""
    return is_unknown_op(exc)


class LiveSource:
    """The supervisor of a repository; started on demand by the client."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.label = str(ws.repo.toplevel)
        self.client = AsyncSupervisorClient(ws)
        self._pages: ReceiptPages | None = None

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def call(self, op: str, **args: Any) -> Any:
        # Shielded: a cancelled UI task must not abandon a request half-way, or its reply
        # would be read as the answer to the next request on the shared connection.
        task = asyncio.ensure_future(self.client.call(op, **args))
        task.add_done_callback(_retrieve)  # an abandoned request's error is not an unhandled one
        return await asyncio.shield(task)

    async def events(self) -> AsyncGenerator[Event, None]:
        async for event in self.client.events(terminal_notifications=True):  # OSC 9/777 wanted
            yield event

    def pages(self) -> ReceiptPages:
        if self._pages is None:
            self._pages = ReceiptPages(self.ws.state.ledger_dir)
        return self._pages

    def can_attach(self, dispatch_id: str) -> None:
        can_attach(self.ws, dispatch_id)

    def attach(self, dispatch_id: str) -> int:
        return attach_blocking(self.ws, dispatch_id)

    def actor(self) -> str:
        return operator_actor()

    def identity(self) -> Identity:
        return Identity.model_validate(operator_identity())

    async def close(self) -> None:
        await self.client.close()
        if self._pages is not None:
            self._pages.close()


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


async def forever() -> None:
    """Wait until cancelled (a static source has no events)."""
    await asyncio.Event().wait()
