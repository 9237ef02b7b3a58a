"""The supervisor's request handlers for workers: dispatch, status, wait, send, kill, teardown, restore."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

from cockpit.domain.dispatch import FINAL_STATES, LIVE_STATES, ReviewState, WorkerState, is_live, title_of
from cockpit.errors import UsageError
from cockpit.protocol import requests as req
from cockpit.protocol.errors import ErrorCode
from cockpit.protocol.replies import KillReply, RestoreReply, SendReply, TeardownPreview, TeardownReply, WaitReply
from cockpit.protocol.views import DispatchView
from cockpit.runtime import teardown as git_teardown
from cockpit.runtime.private_files import private_dir, write_private
from cockpit.service import placement
from cockpit.service.budgets import check_daily_budget
from cockpit.service.channel import Peer
from cockpit.service.context import Context, log
from cockpit.service.dispatching import build_task, default_target, prepare, task_path
from cockpit.service.monitor import Monitor
from cockpit.service.scheduler import Scheduler
from cockpit.service.workers import Workers, new_dispatch_id, prompt_path

WAIT_STATES = {str(s) for s in WorkerState} | {str(s) for s in ReviewState} | {"final", "torn_down"}


class WorkerOps:
    def __init__(self, ctx: Context, workers: Workers, monitor: Monitor, scheduler: Scheduler) -> None:
        self.ctx = ctx
        self.workers = workers
        self.monitor = monitor
        self.scheduler = scheduler
        self.schedule = scheduler.schedule
        self._last_millis = [0]

    # -- ids ----------------------------------------------------------------------------

    def resolve(self, ref: Any) -> str:
        """A full dispatch id from an id or a unique prefix of at least 4 characters."""
        text = str(ref or "").strip().lower()
        if not text:
            raise UsageError("no dispatch id given")
        if self.ctx.ws.store.dispatch(text) is not None:
            return text
        if len(text) >= 4 and text.isalnum():
            rows = self.ctx.ws.store.ids_starting_with(text)
            if len(rows) == 1:
                return rows[0]
            if len(rows) > 1:
                raise UsageError(f"{text!r} matches more than one dispatch; give more of the id")
        raise UsageError(f"no dispatch {text!r} in this repository", hint="`cockpit status` lists them", code=ErrorCode.NOT_FOUND)

    # -- dispatch -------------------------------------------------------------------------

    async def dispatch(self, args: req.Dispatch, peer: Peer) -> DispatchView:
        ctx = self.ctx
        task = build_task(dict(args.task), args.task_source or "task")
        dispatch_id = new_dispatch_id(lambda i: ctx.ws.store.dispatch(i) is not None, self._last_millis)
        ddir = ctx.ws.state.dispatch_dir(dispatch_id)
        host, label = args.host, args.label
        # With hosts configured, a dispatch without --host/--label may go to one (automatic).
        auto = host is None and label is None and await asyncio.to_thread(placement.hosts_configured, ctx.ws.repo.toplevel)
        await asyncio.to_thread(placement.validate, ctx.ws.repo.toplevel, host, label)
        prepared = await asyncio.to_thread(
            prepare,
            ctx.ws.git,
            ctx.fresh_catalog(),
            task=task,
            prompt=args.prompt,
            provider=args.provider,
            mode=args.mode,
            base=args.base,
            timeout_s=args.timeout_s,
            priority=args.priority,
            prompt_file=ddir / "prompt.txt",
            default_provider=ctx.config.default_provider,
            default_headless_timeout_s=ctx.config.supervisor.headless_timeout_s,
            on_host=host is not None or label is not None or auto,
        )
        check_daily_budget(ctx, prepared.provider.name)  # spent today: refused before anything is written
        placed = None
        busy = placement.busy_by_executor(ctx.ws.store.dispatches(states=("queued", *(str(s) for s in LIVE_STATES))))
        if host is not None or label is not None:  # probes the hosts; writes nothing
            placed = await asyncio.to_thread(
                placement.plan, ctx.ws.repo.toplevel, ctx.catalog, prepared.provider.name, host, label, busy.queued
            )
        elif auto:  # this machine first (unless hosts.yaml prefers hosts); probes only when needed
            placed = await asyncio.to_thread(
                placement.plan_auto,
                ctx.ws.repo.toplevel,
                ctx.catalog,
                prepared.provider.name,
                local_busy=busy.local,
                max_workers=ctx.config.supervisor.max_workers,
                queued=busy.queued,
            )
        raw = prepared.prompt.encode("utf-8")
        # The target is fixed now: switching branches in the main checkout later must not redirect promotion.
        target = prepared.target or await asyncio.to_thread(default_target, ctx.ws.git)
        private_dir(ddir)
        write_private(prompt_path(ctx, dispatch_id), raw)
        # What runs (acceptance commands, paths) is read from this private copy; the receipt
        # and the store hold the masked one (cockpit.domain.secrets).
        write_private(task_path(ctx.ws.state, dispatch_id), json.dumps(prepared.task.public(), sort_keys=True).encode("utf-8"))
        ctx.record(
            "dispatch_created",
            dispatch_id,
            actor=args.actor or "operator",
            title=title_of(prepared.assignment if prepared.skill else prepared.prompt),
            prompt_sha256=hashlib.sha256(raw).hexdigest(),
            prompt_bytes=len(raw),
            provider=prepared.provider.name,
            mode=prepared.mode,
            priority=prepared.priority,
            timeout_s=prepared.timeout_s,
            timeout_source=prepared.timeout_source,
            base_ref=prepared.base_ref,
            base_commit=prepared.base_commit,
            branch=f"cockpit/{dispatch_id}",
            worktree=str(ctx.ws.state.worktree(dispatch_id)),
            target=target,
            risk=str(prepared.task.risk),
            task=prepared.task.public(),
            skill=prepared.skill.receipt() if prepared.skill else None,  # name, version, each file's sha256
            **({"executor": placed.chosen.executor} if placed is not None and placed.chosen is not None else {}),
        )
        if placed is not None:
            asked = placement.asked(ctx.ws.repo.toplevel, host, label)
            ctx.record("placement", dispatch_id, **placed.receipt_data(prepared.provider.name, asked))
        self.schedule()
        return ctx.view(ctx.dispatch(dispatch_id))

    # -- queries --------------------------------------------------------------------------

    async def status(self, args: req.Status, peer: Peer) -> list[DispatchView]:
        self.ctx.ws.store.catch_up()
        rows = self.ctx.ws.store.dispatches()
        if not args.all:
            rows = [d for d in rows if d.teardown is None]
        return [self.ctx.view(d) for d in rows]

    async def show(self, args: req.Show, peer: Peer) -> DispatchView:
        return self.ctx.view(self.ctx.dispatch(self.resolve(args.id)))

    async def wait(self, args: req.Wait, peer: Peer) -> WaitReply:
        dispatch_id = self.resolve(args.id)
        until = args.until or "final"
        if until not in WAIT_STATES:
            raise UsageError(f"cannot wait for {until!r}", hint=f"states: {', '.join(sorted(WAIT_STATES))}")
        timeout = args.timeout
        bus = self.ctx.bus

        def reached() -> tuple[bool, bool, str]:
            d = self.ctx.dispatch(dispatch_id)
            here = {str(d.state), str(d.review)} | ({"final"} if d.final else set()) | ({"torn_down"} if d.teardown else set())
            done = until in here
            hopeless = not done and d.final and until in {str(s) for s in LIVE_STATES} | {"queued"}
            return done, hopeless, str(d.state)

        async def until_reached() -> tuple[bool, str]:
            async with bus.changed:
                while True:
                    done, hopeless, state = reached()
                    if done or hopeless:
                        return done, state
                    await bus.changed.wait()

        try:
            done, state = await asyncio.wait_for(until_reached(), timeout=timeout or None)
        except TimeoutError:
            done, state = False, str(self.ctx.dispatch(dispatch_id).state)
        return WaitReply(id=dispatch_id, reached=done, state=state, until=until)

    # -- actions --------------------------------------------------------------------------

    async def send(self, args: req.Send, peer: Peer) -> SendReply:
        return await self.workers.input.send(
            self.resolve(args.id), text=args.text, key=args.key, enter=args.enter, actor=args.actor or "operator"
        )

    async def kill(self, args: req.Kill, peer: Peer) -> KillReply:
        result = await self.workers.kill(self.resolve(args.id), actor=args.actor or "operator")
        self.schedule()
        return result

    async def teardown(self, args: req.Teardown, peer: Peer) -> TeardownReply:
        ctx = self.ctx
        dispatch_id = self.resolve(args.id)
        actor = args.actor or "operator"
        d = ctx.dispatch(dispatch_id)
        if is_live(d.state) or d.state == WorkerState.QUEUED:
            await self.workers.kill(dispatch_id, actor=actor)
        async with ctx.lock(dispatch_id):
            d = ctx.dispatch(dispatch_id)
            if d.teardown is not None:
                return TeardownReply(id=dispatch_id, already=True, classification=d.teardown, archive_ref=d.archive_ref)
            executor = ctx.executor_for(d)
            await asyncio.to_thread(executor.close_session, dispatch_id)  # a dead pane kept for inspection
            result = await asyncio.to_thread(
                executor.teardown_workspace, dispatch_id, Path(d.worktree), d.branch, d.base_commit or d.base_ref, d.target
            )
            c = result.classification
            ctx.record(
                "torn_down",
                dispatch_id,
                actor=actor,
                classification=c.kind,
                archive_ref=result.archive_ref,
                archive_commit=result.archive_commit,
                head=c.head,
                commits_ahead=c.commits_ahead,
                changed=c.changed,
                untracked=c.untracked,
                ignored_not_archived=c.ignored[:50],
            )
        self.schedule()
        return TeardownReply(
            id=dispatch_id,
            classification=c.kind,
            archive_ref=result.archive_ref,
            archive_commit=result.archive_commit,
            ignored_not_archived=c.ignored,
        )

    async def restore(self, args: req.Restore, peer: Peer) -> RestoreReply:
        ctx = self.ctx
        dispatch_id = self.resolve(args.id)
        async with ctx.lock(dispatch_id):
            d = ctx.dispatch(dispatch_id)
            if d.teardown is None:
                raise UsageError(f"dispatch {dispatch_id} was not torn down; its worktree is {d.worktree}")
            if args.host is not None:  # there, byte for byte; the host becomes its executor
                onto = placement.restore_target(ctx, args.host)
                result = await asyncio.to_thread(onto.restore_on_host, dispatch_id, Path(d.worktree))
                where = {"executor": onto.name, "host": args.host}
            else:
                result = await asyncio.to_thread(ctx.executor_for(d).restore_workspace, dispatch_id, Path(d.worktree))
                where = {}
            ctx.record(
                "restored",
                dispatch_id,
                actor=args.actor or "operator",
                worktree=str(result.worktree),
                head=result.head,
                had_uncommitted=result.had_uncommitted,
                **where,
            )
        return RestoreReply(id=dispatch_id, worktree=str(result.worktree), branch=result.branch, head=result.head)

    async def preview_teardown(self, args: req.PreviewTeardown, peer: Peer) -> TeardownPreview:
        """What teardown would do, without doing it (the TUI's confirmation)."""
        ctx = self.ctx
        d = ctx.dispatch(self.resolve(args.id))
        if d.teardown is not None:
            return TeardownPreview(id=d.id, already=True, classification=d.teardown)
        c = await asyncio.to_thread(
            ctx.executor_for(d).classify_workspace, Path(d.worktree), d.branch, d.base_commit or d.base_ref, d.target
        )
        return TeardownPreview(
            id=d.id,
            classification=c.kind,
            commits_ahead=c.commits_ahead,
            changed=c.changed,
            untracked=c.untracked,
            ignored=c.ignored[:50],
            will_archive=c.kind in ("committed", "dirty"),
            archive_ref=git_teardown.archive_ref_name(d.id),
            live=d.live,
        )


def final_state_names() -> set[str]:
    return {str(s) for s in FINAL_STATES}


__all__ = ["WorkerOps", "log"]
