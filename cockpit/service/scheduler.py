"""Which queued dispatch starts next: the concurrency limits over the queue (domain/queue.py)."""

from __future__ import annotations

import asyncio

from cockpit.domain.dispatch import is_live
from cockpit.domain.queue import Queued, pick_startable
from cockpit.service.context import Context
from cockpit.service.workers import Workers


class Scheduler:
    def __init__(self, ctx: Context, workers: Workers) -> None:
        self.ctx = ctx
        self.workers = workers
        self._starting: dict[str, str] = {}  # id -> provider, while a start is under way

    def schedule(self) -> None:
        ctx = self.ctx
        settings = ctx.config.supervisor
        queued = [
            Queued(d.id, d.provider, d.priority, d.created_seq)
            for d in ctx.ws.store.dispatches(states=("queued",))
            if d.id not in self._starting
        ]
        if not queued:
            return
        running = [w.provider.name for w in ctx.live.values()]
        running += [p for i, p in self._starting.items() if i not in ctx.live]
        for item in pick_startable(queued, running, settings.max_workers, settings.per_provider):
            self._starting[item.id] = item.provider
            asyncio.get_running_loop().create_task(self._start(item.id))

    async def _start(self, dispatch_id: str) -> None:
        try:
            await self.workers.start(dispatch_id)
        finally:
            self._starting.pop(dispatch_id, None)
            d = self.ctx.ws.store.dispatch(dispatch_id)
            if d is not None and not is_live(d.state):
                self.schedule()  # it failed to start: its slot is free again

    def live_count(self) -> int:
        return len(self.ctx.live) + len(set(self._starting) - set(self.ctx.live))
