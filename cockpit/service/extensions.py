"""Supervisor extensions beyond the worker core: the gates, notifications and permissions plug in here.

An extension is a subclass of `Extension`: the requests it adds (`ops`), and what it does
when the supervisor starts and at each step of the worker flow (cockpit/service/flow.py).
The defaults do nothing, so an extension overrides only the steps it cares about.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cockpit.service.channel import Peer
    from cockpit.service.supervisor import Supervisor

# A request handler: the request's arguments and who asked; its reply (JSON-able).
Handler = Callable[[dict[str, Any], "Peer"], Awaitable[Any]]


class Extension:
    """One supervisor extension. `bind` runs once the supervisor's parts exist (its context,
    workers, scheduler and request handlers), before recovery; then `ops` joins the request
    table and `on_start` runs once the channel is open."""

    ops: dict[str, Handler]

    def bind(self, supervisor: Supervisor) -> None:
        """Keep what it needs of the supervisor (`supervisor.ctx`, `.ops`, `.workers`...)."""

    async def on_start(self) -> None:
        """Once, after recovery, before the first queued dispatch starts."""

    async def after_exit(self, dispatch_id: str, code: int | None) -> None:
        """A worker exited (its `exited` receipt is written); `code` None when unknown."""

    async def after_idle(self, dispatch_id: str) -> None:
        """A sent-back interactive worker finished its turn (it is idle again)."""


def default_extensions() -> list[Extension]:
    from cockpit.service.gates import GateService
    from cockpit.service.notify import NotifyService
    from cockpit.service.permissions import PermissionService

    return [GateService(), NotifyService(), PermissionService()]
