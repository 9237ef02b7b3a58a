"""Starting, sending back and stopping workers: every step a receipt.

Where a worker runs is the executor's business (cockpit/runtime/executor.py, picked by
`Context.executor_for`); typing into a running worker is in service/worker_input.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cockpit.domain.dispatch import Dispatch, WorkerState, is_live, may_change_state
from cockpit.domain.provider import Provider
from cockpit.errors import CockpitError, UsageError
from cockpit.protocol.replies import KillReply, SendReply
from cockpit.runtime.executor import LaunchRequest, SessionExists, TreeKill
from cockpit.runtime.log_errors import last_error_of
from cockpit.runtime.policy_file import policy_path
from cockpit.runtime.private_files import write_private
from cockpit.runtime.providers import build_launch
from cockpit.service.context import Context, LiveWorker, log
from cockpit.service.receipt_data import TreeKillData, tree_kill_data
from cockpit.service.worker_env import worker_env
from cockpit.service.worker_input import WorkerInput, prompt_path, read_prompt

if TYPE_CHECKING:
    from cockpit.service.rounds import Rounds

__all__ = ["WorkerWatch", "Workers", "new_dispatch_id", "prompt_path", "read_prompt"]


class WorkerWatch(Protocol):
    """What watches running workers (the Monitor): the worker core tells it what it did."""

    def request_check(self, worker: LiveWorker) -> None:
        """Something was typed or started: look at the worker's screen soon."""

    def confirm_delivery(self, worker: LiveWorker, *, confirmed_by: str, **extra: Any) -> None:
        """The typed prompt is confirmed (`prompt_delivered`); the worker is working."""


class Workers:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.watch: WorkerWatch | None = None  # the Monitor, connected by the supervisor
        self.input = WorkerInput(ctx, self)
        self.rounds: Rounds | None = None  # set by the review-loop extension: new rounds (cockpit/service/rounds.py)

    async def send(self, dispatch_id: str, *, text: str | None, key: str | None, enter: bool, actor: str) -> SendReply:
        """Type text or press a key in a running worker (`cockpit send`): see WorkerInput.send."""
        return await self.input.send(dispatch_id, text=text, key=key, enter=enter, actor=actor)

    def screen_changed(self, worker: LiveWorker) -> None:
        if self.watch is not None:
            self.watch.request_check(worker)

    def confirm_delivery(self, worker: LiveWorker, *, confirmed_by: str, **extra: Any) -> None:
        if self.watch is not None:
            self.watch.confirm_delivery(worker, confirmed_by=confirmed_by, **extra)

    # -- states -------------------------------------------------------------------------

    def set_state(self, dispatch_id: str, new: WorkerState, *, source: str, **data: Any) -> bool:
        """Record a state change; `source` says what saw it: hook, event, screen or link."""
        d = self.ctx.ws.store.dispatch(dispatch_id)
        if d is None or not may_change_state(d.state, new, source):
            return False
        self.ctx.record("status_changed", dispatch_id, **{"from": str(d.state), "to": str(new), "source": source, **data})
        return True

    # -- start --------------------------------------------------------------------------

    async def start(self, dispatch_id: str) -> None:
        ctx = self.ctx
        async with ctx.lock(dispatch_id):
            d = ctx.ws.store.dispatch(dispatch_id)
            if d is None or d.state != WorkerState.QUEUED:
                return
            try:
                await self._start(d)
            except CockpitError as exc:
                ctx.forget(dispatch_id)
                log.warning("dispatch %s failed to start: %s", dispatch_id, exc)
                ctx.record("start_failed", dispatch_id, error=str(exc))
            except Exception as exc:  # noqa: BLE001 never leave a dispatch stuck in `queued`; logged below
                ctx.forget(dispatch_id)
                log.exception("dispatch %s failed to start", dispatch_id)
                ctx.record("start_failed", dispatch_id, error=f"{type(exc).__name__}: {exc}")

    async def _start(self, d: Dispatch) -> None:
        ctx = self.ctx
        provider = ctx.catalog.get(d.provider)
        worktree = Path(d.worktree)
        executor = ctx.executor_for(d)
        if not await asyncio.to_thread(executor.workspace_exists, worktree, d.branch):
            info = await asyncio.to_thread(executor.create_workspace, d.id, worktree, d.base_commit or d.base_ref)
            ctx.record("worktree_created", d.id, base_commit=info.base_commit, branch=info.branch, worktree=str(info.path))
        await self._launch(d, provider, prompt_path(ctx, d.id))

    async def _launch(self, d: Dispatch, provider: Provider, prompt_file: Path) -> None:
        """Start the agent in a new session on the worktree, with `prompt_file` as its prompt."""
        ctx = self.ctx
        worktree = Path(d.worktree)
        prompt = prompt_file.read_bytes().decode("utf-8")
        # The permission hook is wired only where a policy exists (claude waits for it on every tool call).
        has_policy = await asyncio.to_thread(policy_path(ctx.ws.repo.toplevel).exists)
        launch = build_launch(provider, d.mode, prompt, prompt_file, on_host=d.executor != "local", policy=has_policy)
        settings = ctx.config.supervisor
        request = LaunchRequest(
            dispatch_id=d.id,
            argv=launch.argv,
            env=worker_env(ctx, d, launch.env),
            cwd=worktree,
            stdin_path=launch.stdin_path,
            prompt_path=prompt_file if launch.prompt_arg_index is not None else None,
            prompt_arg_index=launch.prompt_arg_index,
            width=settings.terminal_width,
            height=settings.terminal_height,
        )
        worker = ctx.adopt(d, prompt_pending=d.mode == "interactive")
        worker.prompt_file = prompt_file
        if worker.log_path.exists():  # a sent-back dispatch: its earlier runs are already counted
            worker.offset = worker.log_path.stat().st_size
            worker.usage_base = (d.tokens_in, d.tokens_out, d.cost_micro_usd)
            worker.usage = None
        try:
            await asyncio.to_thread(ctx.executor_for(d).start, request)
        except SessionExists:
            pass  # its session already runs (a supervisor died right after starting it): adopt it
        self._record_started(d, worker, launch.argv[0], prompt, via_arg=launch.prompt_arg_index is not None)
        if d.mode != "headless":
            spec = provider.interactive
            wait_s = spec.ready_timeout_s if spec is not None else 60
            worker.timers.append(
                asyncio.get_running_loop().call_later(wait_s, lambda: asyncio.ensure_future(self._not_ready(d.id, wait_s)))
            )
        self.arm_timeout(worker, d)
        self.screen_changed(worker)

    def _record_started(self, d: Dispatch, worker: LiveWorker, argv0: str, prompt: str, *, via_arg: bool, **extra: Any) -> None:
        ctx = self.ctx
        ctx.record(
            "worker_started",
            d.id,
            session=d.id,
            **ctx.executor_for(d).location,
            argv0=argv0,
            mode=d.mode,
            log=str(worker.log_path),
            **extra,
        )
        if d.mode == "headless":  # the launcher hands the prompt over as it execs the agent
            ctx.record(
                "prompt_delivered",
                d.id,
                via="arg" if via_arg else "stdin",
                bytes=len(prompt.encode()),
                sha256=hashlib.sha256(prompt.encode()).hexdigest(),
            )

    async def adopt_started(self, d: Dispatch, dead: bool) -> None:
        """Take over a session whose start was never recorded (recovery after a crash)."""
        spec = self.ctx.ws.state.dispatch_dir(d.id) / "launch.json"
        argv0, via_arg, prompt = "?", False, ""
        try:
            import json

            launch = json.loads(spec.read_text())
            argv0, via_arg = launch["argv"][0], launch["prompt_arg_index"] is not None
            prompt = read_prompt(self.ctx, d.id)
        except (OSError, ValueError, KeyError):
            pass
        worker = self.ctx.adopt(d, prompt_pending=d.mode == "interactive")
        self._record_started(d, worker, argv0, prompt, via_arg=via_arg, adopted_after_crash=True)
        if not dead:
            self.arm_timeout(worker, self.ctx.dispatch(d.id))
            self.screen_changed(worker)

    def arm_timeout(self, worker: LiveWorker, d: Dispatch) -> None:
        timeout_s = d.timeout_s
        if not timeout_s or d.state == WorkerState.PAUSED:  # a paused worker's clock stands still
            return
        from cockpit.service.views import elapsed_seconds

        remaining = max(0.0, timeout_s - (elapsed_seconds(d) or 0.0))
        worker.timers.append(
            asyncio.get_running_loop().call_later(remaining, lambda: asyncio.ensure_future(self.time_out(d.id, timeout_s)))
        )

    async def _not_ready(self, dispatch_id: str, waited: int) -> None:
        worker = self.ctx.live.get(dispatch_id)
        if worker is not None and worker.prompt_pending:
            self.set_state(
                dispatch_id,
                WorkerState.WAITING,
                source="screen",
                reason=f"the agent did not show its ready screen within {waited} s; attach to look",
            )

    async def send_back(self, dispatch_id: str, reason: str, *, actor: str) -> None:
        """Give the rejection's reason to the agent as its next prompt; gates run again when it is done."""
        ctx = self.ctx
        text = f"Your change was rejected by the reviewer. Reason:\n{reason}\nPlease address it."
        if self.rounds is not None:  # resumes the CLI's own session where it can
            await self.rounds.give(dispatch_id, text, actor=actor, kind="sent_back")
            return
        async with ctx.lock(dispatch_id):
            d = ctx.dispatch(dispatch_id)
            worker = ctx.live.get(dispatch_id)
            if is_live(d.state) and worker is not None:
                if d.mode != "interactive":
                    raise UsageError(f"worker {dispatch_id} is still running; wait for it to exit before sending work back")
                executor = ctx.executor_for(d)
                await asyncio.to_thread(executor.paste_text, dispatch_id, text)
                await asyncio.to_thread(executor.send_keys, dispatch_id, "Enter")
                worker.gates_on_idle = True
                ctx.record(
                    "sent_back",
                    dispatch_id,
                    actor=actor,
                    how="typed into the running agent",
                    sha256=hashlib.sha256(text.encode()).hexdigest(),
                    bytes=len(text.encode()),
                )
                self.set_state(dispatch_id, WorkerState.WORKING, source="screen")
                return
            rounds = len(list(ctx.ws.state.dispatch_dir(dispatch_id).glob("round-*.txt"))) + 2
            prompt_file = ctx.ws.state.dispatch_dir(dispatch_id) / f"round-{rounds}.txt"
            write_private(prompt_file, text.encode("utf-8"))
            await asyncio.to_thread(ctx.executor_for(d).close_session, dispatch_id)  # the finished run's dead pane
            ctx.record(
                "sent_back",
                dispatch_id,
                actor=actor,
                how="a new run of the agent in the same worktree",
                round=rounds,
                sha256=hashlib.sha256(text.encode()).hexdigest(),
                bytes=len(text.encode()),
            )
            ctx.record("worker_resumed", dispatch_id, round=rounds)
            try:
                await self._launch(ctx.dispatch(dispatch_id), ctx.catalog.get(d.provider), prompt_file)
            except CockpitError as exc:
                ctx.forget(dispatch_id)
                ctx.record("start_failed", dispatch_id, error=str(exc))

    # -- stopping ------------------------------------------------------------------------

    async def end_processes(self, dispatch_id: str) -> TreeKill:
        """End the worker's whole process tree (SIGTERM, then SIGKILL after the grace period),
        then its session. Closing the pane alone only sends SIGHUP, which agents may ignore."""
        ctx = self.ctx
        executor = ctx.executor_for(dispatch_id)
        result = await asyncio.to_thread(executor.kill_tree, dispatch_id, ctx.config.supervisor.kill_grace_s)
        if result.survivors:
            log.warning("worker %s: %s", dispatch_id, result.sentence())
        return result

    async def kill(self, dispatch_id: str, *, actor: str) -> KillReply:
        ctx = self.ctx
        async with ctx.lock(dispatch_id):
            d = ctx.dispatch(dispatch_id)
            if d.state == WorkerState.QUEUED:
                ctx.record("killed", dispatch_id, actor=actor, before_start=True)
                return KillReply(id=dispatch_id, killed=True, how="it had not started")
            if not is_live(d.state):
                return KillReply(id=dispatch_id, killed=False, state=str(d.state))
            ended = await self.end_processes(dispatch_id)
            # Only now is its slot free: forget() lets a queued dispatch start right after this receipt.
            ctx.forget(dispatch_id)
            ctx.record("killed", dispatch_id, actor=actor, **tree_kill_data(ended))
        return KillReply(
            id=dispatch_id,
            killed=True,
            how=ended.sentence(),
            processes=ended.processes(),
            survivors=[p.pid for p in ended.survivors],
        )

    async def time_out(self, dispatch_id: str, limit: int) -> None:
        ctx = self.ctx
        async with ctx.lock(dispatch_id):
            d = ctx.ws.store.dispatch(dispatch_id)
            if d is None or not is_live(d.state):
                return
            # What it said while stuck, read before the kill: what dying processes print
            # (a traceback from a signal) is not why it timed out.
            error = last_error_of(ctx.ws.state.log(dispatch_id))
            data = TreeKillData()
            try:
                data = tree_kill_data(await self.end_processes(dispatch_id))
            except CockpitError as exc:
                log.warning("could not stop timed-out worker %s: %s", dispatch_id, exc)
            if error:
                data["error"] = error
            ctx.forget(dispatch_id)  # after its processes are gone: only then is its slot free
            ctx.record("timed_out", dispatch_id, after_s=limit, worktree_kept=d.worktree, **data)


def new_dispatch_id(taken: Callable[[str], bool], last_millis: list[int]) -> str:
    """A fresh id; `last_millis` keeps time strictly increasing across calls."""
    from cockpit.domain.dispatch import make_id

    millis = max(int(time.time() * 1000), last_millis[0] + 1)
    last_millis[0] = millis
    while True:
        candidate = make_id(millis, int.from_bytes(os.urandom(2), "big"))
        if not taken(candidate):
            return candidate
