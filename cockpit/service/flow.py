"""What the supervisor does when a worker stops or finishes a turn, in one place.

    a worker exits     Monitor.finish writes `exited`, then Flow.exited:
                         1. the scheduler starts queued work in the freed slot;
                         2. each extension's after_exit, in order (GateService runs the
                            gates after a clean exit; see service/gates.py).
    a slot frees       Context.forget (a worker killed, timed out, lost, failed to start),
                       after the caller's receipt: Flow.slot_freed schedules, soon.
    a turn ends        a sent-back interactive worker is idle again (Monitor.after_idle):
                       Flow.idle_again runs each extension's after_idle (the gates again).
    the supervisor     after recovery: each extension's on_start, then the scheduler.
    starts

The scheduler (service/scheduler.py) decides what starts; extensions never start workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from cockpit.service.extensions import Extension


class Flow:
    def __init__(self, schedule: Callable[[], None], extensions: Sequence[Extension]) -> None:
        self.schedule = schedule
        self.extensions = list(extensions)

    async def started(self) -> None:
        for extension in self.extensions:
            await extension.on_start()
        self.schedule()

    def slot_freed(self) -> None:
        # Called right after the receipt that frees the slot: schedule once the caller is done.
        asyncio.get_running_loop().call_soon(self.schedule)

    async def exited(self, dispatch_id: str, code: int | None) -> None:
        self.schedule()
        for extension in self.extensions:
            await extension.after_exit(dispatch_id, code)

    async def idle_again(self, dispatch_id: str) -> None:
        for extension in self.extensions:
            await extension.after_idle(dispatch_id)
