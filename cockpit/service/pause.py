"""Pausing and resuming workers: their whole process tree stopped (SIGSTOP) and continued (SIGCONT).

A paused worker runs nothing: it prints nothing, burns no CPU, and its timeout's clock
stands still (the `paused` receipt's time is where its run's clock stops; the `resumed`
receipt adds the pause to `paused_ms`, which elapsed time leaves out). It keeps its tmux
session, worktree and usage; resumed, it goes on exactly where it was.

By default a paused worker keeps its slot (`supervisor.pause_frees_slot: false`): a resume
then always continues at once and never runs more workers than `max_workers`. With the
setting on, the queue may start another worker in its place, and a resume continues anyway
(the operator asked for it), above the cap until a worker ends.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Literal

from cockpit.domain.dispatch import WorkerState, can_pause, resume_state
from cockpit.errors import CheckFailed, CockpitError, UsageError
from cockpit.protocol import requests as req
from cockpit.protocol.replies import ControlDone, ControlFailed, ControlReply, Paused, Resumed
from cockpit.runtime.proctree import TreeSignal
from cockpit.service.context import Context, log
from cockpit.service.receipt_data import PausedData
from cockpit.service.views import parse_ts


def holds_slot(ctx: Context, dispatch_id: str) -> bool:
    """Whether a live worker counts against the concurrency caps (a paused one may not)."""
    if not ctx.config.supervisor.pause_frees_slot:
        return True
    d = ctx.ws.store.dispatch(dispatch_id)
    return d is None or d.state != WorkerState.PAUSED


class Pauser:
    def __init__(self, ctx: Context, workers: Any, monitor: Any) -> None:
        self.ctx = ctx
        self.workers = workers
        self.monitor = monitor

    async def _signal_tree(self, dispatch_id: str, action: Literal["stop", "continue"]) -> TreeSignal:
        """Stop or continue the worker's processes (all but the launcher and the exit watcher),
        through the executor the worker runs on."""
        executor = self.ctx.executor_for(dispatch_id)
        try:
            return await asyncio.to_thread(executor.pause_tree, dispatch_id, action)
        except CockpitError as exc:
            raise CheckFailed(exc.message) from None

    async def pause(self, dispatch_id: str, *, actor: str, reason: str | None = None) -> Paused:
        ctx = self.ctx
        async with ctx.lock(dispatch_id):
            d = ctx.dispatch(dispatch_id)
            if d.state == WorkerState.PAUSED:
                return Paused(id=dispatch_id, paused=True, already=True, state=str(d.state))
            if not can_pause(d.state) or dispatch_id not in ctx.live:
                raise CheckFailed(
                    f"cannot pause {dispatch_id}: it is {d.state}, not running; nothing was changed",
                    hint="`cockpit status` shows which workers run",
                )
            result = await self._signal_tree(dispatch_id, "stop")
            if result.failed or not result.done:
                undone = await self._signal_tree(dispatch_id, "continue")  # never leave it half stopped
                why = result.sentence() if result.done else "none of its processes was left running"
                raise CheckFailed(f"could not pause {dispatch_id}: {why}; it runs on ({undone.sentence()})")
            worker = ctx.live.get(dispatch_id)
            if worker is not None:  # its timeout's clock and its readiness/delivery checks stop with it
                worker.cancel_timers()
            data = PausedData({"from": str(d.state), "processes": result.processes(), "how": result.sentence()})
            if reason:
                data["reason"] = reason
            ctx.record("paused", dispatch_id, actor=actor, **data)
        if ctx.config.supervisor.pause_frees_slot and ctx.on_slot_freed is not None:
            ctx.on_slot_freed()
        return Paused(id=dispatch_id, paused=True, how=result.sentence(), from_=str(d.state))

    async def resume(self, dispatch_id: str, *, actor: str) -> Resumed:
        ctx = self.ctx
        async with ctx.lock(dispatch_id):
            d = ctx.dispatch(dispatch_id)
            if d.state != WorkerState.PAUSED:
                raise CheckFailed(f"cannot resume {dispatch_id}: it is {d.state}, not paused; nothing was changed")
            result = await self._signal_tree(dispatch_id, "continue")
            if result.failed:
                raise CheckFailed(f"could not resume {dispatch_id}: {result.sentence()}", hint="attach to look")
            since = parse_ts(d.paused_ts)
            paused_ms = int((datetime.now(UTC) - since).total_seconds() * 1000) if since else 0
            to = resume_state(d.paused_from)
            ctx.record(
                "resumed",
                dispatch_id,
                actor=actor,
                to=str(to),
                paused_ms=max(0, paused_ms),
                processes=result.processes(),
                how=result.sentence(),
            )
            worker = ctx.live.get(dispatch_id)
            if worker is not None:
                self.workers.arm_timeout(worker, ctx.dispatch(dispatch_id))  # the rest of its time, not all of it
        if worker is not None:
            self.monitor.request_check(worker)  # its screen may have moved on since (an answer typed meanwhile)
        return Resumed(id=dispatch_id, resumed=True, to=str(to), how=result.sentence(), paused_ms=paused_ms)

    # -- requests: one worker, a provider's, or all --------------------------------------

    def targets(self, args: req.Pause, resolve: Any, *, pausing: bool) -> list[str]:
        given = [bool(args.id), bool(args.provider), args.all]
        if sum(given) != 1:
            raise UsageError("give one worker ID, or --provider NAME, or --all")
        if args.id:
            return [resolve(args.id)]
        provider = args.provider
        if provider is not None and provider not in self.ctx.catalog.providers:
            known = ", ".join(sorted(self.ctx.catalog.providers))
            raise UsageError(f"unknown provider {provider!r}", hint=f"known providers: {known}")
        wanted = ("starting", "working", "waiting", "idle") if pausing else ("paused",)
        rows = self.ctx.ws.store.dispatches(states=wanted)
        chosen = [d.id for d in rows if provider is None or d.provider == provider]
        if not chosen:
            whose = f" of provider {provider}" if provider else ""
            raise CheckFailed(f"no {'running' if pausing else 'paused'} worker{whose} to {'pause' if pausing else 'resume'}")
        return chosen

    async def request(self, args: req.Pause, resolve: Any, *, pausing: bool) -> ControlReply:
        actor = args.actor or "operator"
        ids = self.targets(args, resolve, pausing=pausing)
        done: list[ControlDone] = []
        failed: list[ControlFailed] = []
        for dispatch_id in ids:
            try:
                if pausing:
                    done.append(await self.pause(dispatch_id, actor=actor))
                else:
                    done.append(await self.resume(dispatch_id, actor=actor))
            except CockpitError as exc:
                if len(ids) == 1:
                    raise
                log.warning("%s of %s failed: %s", "pause" if pausing else "resume", dispatch_id, exc)
                failed.append(ControlFailed(id=dispatch_id, error=str(exc)))
        return ControlReply(done=done, failed=failed)
