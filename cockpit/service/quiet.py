"""Workers that say nothing: "no output for N s" instead of a blind "working".

A CLI stuck on a browser login, retrying a dead connection, or sitting on a screen no
pattern knows prints nothing for minutes while cockpit would say "working". Any output
(and any structured signal, once wired: call `note_activity`) counts as activity. When a
working worker has had none for `supervisor.quiet_after_s`, a `quiet` receipt records
since when; the first activity after that records `quiet_ended`. The store keeps the
"since" time, so `cockpit status`, its JSON and the TUI show how long it has been silent.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from cockpit.domain.dispatch import WorkerState
from cockpit.domain.receipt import format_ts
from cockpit.service.context import Context, LiveWorker
from cockpit.service.views import parse_ts


class QuietWatch:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.last_activity: dict[str, float] = {}  # dispatch id -> wall-clock time of its last output
        self.quiet: set[str] = set()  # ids with a `quiet` receipt and no activity since

    def note_activity(self, worker: LiveWorker) -> None:
        now = time.time()
        self.last_activity[worker.id] = now
        if worker.id in self.quiet:
            self.quiet.discard(worker.id)
            if worker.id in self.ctx.live:
                since = self._since(worker.id)
                self.ctx.record("quiet_ended", worker.id, quiet_s=int(now - since) if since else 0)

    def _since(self, dispatch_id: str) -> float | None:
        d = self.ctx.ws.store.dispatch(dispatch_id)
        moment = parse_ts(d.quiet_since_ts) if d is not None else None
        return moment.timestamp() if moment else None

    def check(self, now: float | None = None) -> None:
        """Record `quiet` for every working worker silent for the threshold or longer."""
        threshold = self.ctx.config.supervisor.quiet_after_s
        if threshold <= 0:
            return
        now = time.time() if now is None else now
        for dispatch_id in list(self.ctx.live):
            self.last_activity.setdefault(dispatch_id, now)  # adopted after a restart: count from now
        for dispatch_id in list(self.last_activity):
            if dispatch_id not in self.ctx.live:
                self.last_activity.pop(dispatch_id, None)
                self.quiet.discard(dispatch_id)
                continue
            if dispatch_id in self.quiet:
                continue
            d = self.ctx.ws.store.dispatch(dispatch_id)
            if d is None or d.state != WorkerState.WORKING:
                continue
            # A state change (an answer, a prompt typed in) starts the count again too.
            changed = parse_ts(d.updated_ts)
            last = max(self.last_activity[dispatch_id], changed.timestamp() if changed else 0.0)
            if now - last >= threshold:
                self.quiet.add(dispatch_id)
                since = format_ts(datetime.fromtimestamp(last, UTC))
                self.ctx.record("quiet", dispatch_id, after_s=threshold, since=since)

    async def run(self, stop_event: asyncio.Event) -> None:
        while not stop_event.is_set():
            threshold = self.ctx.config.supervisor.quiet_after_s
            step = min(5.0, max(0.2, threshold / 5)) if threshold > 0 else 5.0
            try:
                await asyncio.wait_for(stop_event.wait(), timeout=step)
            except TimeoutError:
                pass
            if self.ctx.live:
                self.check()
