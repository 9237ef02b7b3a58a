"""Worker control as a supervisor extension: the `pause` and `resume` requests, and budgets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cockpit.protocol import requests as req
from cockpit.protocol.replies import ControlReply
from cockpit.service.budgets import BudgetWatch
from cockpit.service.channel import OpHandler, Peer
from cockpit.service.extensions import Extension
from cockpit.service.pause import Pauser

if TYPE_CHECKING:
    from cockpit.service.supervisor import Supervisor


class WorkerControl(Extension):
    def __init__(self) -> None:
        self.ops: dict[str, OpHandler] = {}

    def bind(self, sup: Supervisor) -> None:
        self.sup = sup
        self.pauser = Pauser(sup.ctx, sup.workers, sup.monitor)
        self.budgets = BudgetWatch(sup.ctx, self.pauser, sup.workers)
        self.ops = {"pause": self._pause, "resume": self._resume}

    async def on_start(self) -> None:
        self.sup.ctx.bus.listeners.append(self.budgets.on_event)

    async def _pause(self, args: req.Pause, peer: Peer) -> ControlReply:
        return await self.pauser.request(args, self.sup.ops.resolve, pausing=True)

    async def _resume(self, args: req.Resume, peer: Peer) -> ControlReply:
        return await self.pauser.request(args, self.sup.ops.resolve, pausing=False)
