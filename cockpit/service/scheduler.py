"""Which queued dispatch starts next: the concurrency limits over the queue (domain/queue.py)."""

from __future__ import annotations

import asyncio

from cockpit.domain.dispatch import LIVE_STATES, is_live
from cockpit.domain.queue import Queued, pick_startable
from cockpit.errors import CockpitError
from cockpit.runtime.remote_executor import RemoteExecutor
from cockpit.service import placement
from cockpit.service.context import Context
from cockpit.service.pause import holds_slot
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
        running = [w.provider.name for w in ctx.live.values() if holds_slot(ctx, w.id)]
        running += [p for i, p in self._starting.items() if i not in ctx.live]
        room = self._host_room()
        executor_of = {d.id: d.executor for d in ctx.ws.store.dispatches(states=("queued",))}
        queued = [q for q in queued if room.get(executor_of.get(q.id, "local"), 1) > 0]
        for item in pick_startable(queued, running, settings.max_workers, settings.per_provider):
            where = executor_of.get(item.id, "local")
            if where in room:
                if room[where] <= 0:
                    continue  # that host is full: it waits for a slot there
                room[where] -= 1
            self._starting[item.id] = item.provider
            asyncio.get_running_loop().create_task(self._start(item.id))

    def _host_room(self) -> dict[str, int]:
        """Free slots per SSH host of a queued dispatch: its `capacity` less this repository's
        workers there (live or starting); and this machine's, when hosts.yaml caps it with
        `placement.local_capacity`. The global caps apply on top."""
        ctx = self.ctx
        busy: dict[str, int] = {}
        live = list(ctx.ws.store.dispatches(states=tuple(str(s) for s in LIVE_STATES)))
        starting = [d for i in set(self._starting) - set(ctx.live) if (d := ctx.ws.store.dispatch(i)) is not None]
        for d in [*live, *(d for d in starting if not is_live(d.state))]:
            busy[d.executor] = busy.get(d.executor, 0) + 1
        room: dict[str, int] = {}
        try:
            local_capacity = placement.local_capacity(ctx.ws.repo.toplevel)
        except CockpitError:
            local_capacity = None  # a broken hosts.yaml: the next dispatch says so; the global cap holds
        if local_capacity is not None:  # hosts.yaml's `placement.local_capacity` holds this machine
            room["local"] = local_capacity - busy.get("local", 0)
        for d in ctx.ws.store.dispatches(states=("queued",)):
            if d.executor == "local" or d.executor in room:
                continue
            try:
                executor = ctx.executor_for(d)
            except CockpitError:
                continue  # the host left hosts.yaml: starting the dispatch says so
            if isinstance(executor, RemoteExecutor):
                room[d.executor] = executor.host.capacity - busy.get(d.executor, 0)
        return room

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
