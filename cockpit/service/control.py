"""Worker control as a supervisor extension: the `pause` and `resume` requests, and budgets."""

from __future__ import annotations

from typing import Any

from cockpit.service.budgets import BudgetWatch
from cockpit.service.channel import Peer
from cockpit.service.pause import Pauser


class WorkerControl:
    def __init__(self) -> None:
        self.ops: dict[str, Any] = {}

    def bind(self, sup: Any) -> None:
        self.sup = sup
        self.pauser = Pauser(sup.ctx, sup.workers, sup.monitor)
        self.budgets = BudgetWatch(sup.ctx, self.pauser, sup.workers)
        self.ops = {"pause": self._pause, "resume": self._resume}

    async def on_start(self) -> None:
        self.sup.ctx.bus.listeners.append(self.budgets.on_event)

    async def _pause(self, args: dict[str, Any], peer: Peer) -> dict[str, Any]:
        return await self.pauser.request(args, self.sup.ops.resolve, pausing=True)

    async def _resume(self, args: dict[str, Any], peer: Peer) -> dict[str, Any]:
        return await self.pauser.request(args, self.sup.ops.resolve, pausing=False)
