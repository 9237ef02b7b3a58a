"""Supervisor extensions beyond the worker core: the gates, notifications and permissions plug in here.

An extension is a subclass of `Extension`: the requests it adds (`ops`), and what it does
when the supervisor starts and at each step of the worker flow (cockpit/service/flow.py).
The defaults do nothing, so an extension overrides only the steps it cares about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cockpit.service.channel import OpHandler
    from cockpit.service.supervisor import Supervisor


class Extension:
    """One supervisor extension. `bind` runs once the supervisor's parts exist (its context,
    workers, scheduler and request handlers), before recovery; then `ops` joins the request
    table and `on_start` runs once the channel is open."""

    ops: dict[str, OpHandler]  # request handlers: (arguments model, peer) -> reply (service/channel.py)

    def bind(self, supervisor: Supervisor) -> None:
        """Keep what it needs of the supervisor (`supervisor.ctx`, `.ops`, `.workers`...)."""

    async def on_start(self) -> None:
        """Once, after recovery, before the first queued dispatch starts."""

    async def after_exit(self, dispatch_id: str, code: int | None) -> None:
        """A worker exited (its `exited` receipt is written); `code` None when unknown."""

    async def after_idle(self, dispatch_id: str) -> None:
        """A sent-back interactive worker finished its turn (it is idle again)."""


def default_extensions() -> list[Extension]:
    from cockpit.service.comments import ReviewLoopService
    from cockpit.service.control import WorkerControl
    from cockpit.service.gates import GateService
    from cockpit.service.notify import NotifyService
    from cockpit.service.permissions import PermissionService

    # Order matters after an exit: the review loop receipts the CLI's session id first (quick),
    # then the gates run (slow).
    return [ReviewLoopService(), GateService(), NotifyService(), PermissionService(), WorkerControl()]
