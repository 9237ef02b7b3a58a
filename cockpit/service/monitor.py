"""Watching workers without polling them.

Four event sources, no per-worker loop:
  * each executor's output changes (the local one: inotify on the log directory): a
    worker printed something, so read what is new, feed the usage parser, and look at
    its screen once;
  * each executor's exit wait (the local one: `tmux wait-for` on the channel the
    pane-died hook signals): a worker may have exited, so one `sessions()` query says
    which, with its exit status. An exit signal can be missed while nobody waits, so
    output is a second trigger: a sweep follows shortly after workers print (an agent
    prints when it ends);
  * the ledger's head file: another process appended receipts, so publish them;
  * each executor's signals changes: a CLI's hook reported an event
    (cockpit/service/signals.py); hooks drive the state first, screens are the fallback.
A slow safety sweep (one `sessions()` query every SAFETY_SWEEP_S) catches anything the
events missed, such as a terminal server killed while no worker exited.
What follows an exit or an idle turn (gates, scheduling) is in service/flow.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

from cockpit.domain.dispatch import LINK_SOURCE, LIVE_STATES, WorkerState, is_live
from cockpit.domain.screen_text import waiting_excerpt
from cockpit.errors import CockpitError
from cockpit.protocol.events import OutputArrived
from cockpit.runtime import inotify
from cockpit.runtime.executor import Executor
from cockpit.runtime.log_errors import last_error_of
from cockpit.runtime.remote_executor import RemoteExecutor
from cockpit.runtime.usage import Usage, apply_prices
from cockpit.service.context import Context, LiveWorker, log
from cockpit.service.flow import Flow
from cockpit.service.quiet import QuietWatch
from cockpit.service.receipt_data import ExitedData, TreeKillData, UsageData, tree_kill_data
from cockpit.service.signals import Signals, note_screen_state, screen_may_change
from cockpit.service.workers import Workers

SAFETY_SWEEP_S = 15.0
OUTPUT_SWEEP_DELAY_S = 0.4  # one sweep at most this long after any output
WATCH_STEP_MS = 40
WATCH_DEBOUNCE_MS = 400
MAX_READ = 4 * 1024 * 1024
CHECK_GAP_S = 0.05  # at most ~20 screen checks a second per busy worker
ANSWER_RECHECK_S = 0.01  # while an answered dialog is still drawn (at most AnsweredPrompt's FOLLOW_S)
READY_STABLE_S = 0.4  # the ready screen must stay this long before the prompt is typed in


class Monitor:
    def __init__(self, ctx: Context, workers: Workers, flow: Flow) -> None:
        self.ctx = ctx
        self.workers = workers
        self.flow = flow
        self.stop_event = asyncio.Event()
        self._sweep_timer: asyncio.TimerHandle | None = None
        self.quiet = QuietWatch(ctx)  # "no output for N s"; signals count as activity too
        self.signals = Signals(ctx, workers, self)

    def confirm_delivery(self, worker: LiveWorker, *, confirmed_by: str, **extra: Any) -> None:
        self.signals.confirm_delivery(worker, confirmed_by=confirmed_by, **extra)

    def tasks(self) -> list[Coroutine[Any, Any, None]]:
        """What runs while the supervisor runs: the watchers of every executor and the ledger."""
        loops: list[Coroutine[Any, Any, None]] = [self.watch_ledger(), self.safety_sweep(), self.quiet.run(self.stop_event)]
        for executor in self.ctx.executors.values():
            loops += self.executor_tasks(executor)
        return loops

    def executor_tasks(self, executor: Executor) -> list[Coroutine[Any, Any, None]]:
        return [self.watch_streams(executor), self.wait_for_exits(executor)]

    # -- output -----------------------------------------------------------------------

    async def watch_ledger(self) -> None:
        """Publish receipts other processes append (the ledger's head file changes)."""
        state = self.ctx.ws.state
        head = str(state.root / "ledger.head")
        async for _changes in inotify.watch(
            [state.root],
            lambda path: path == head,
            self.stop_event,
            step_s=WATCH_STEP_MS / 1000,
            debounce_s=WATCH_DEBOUNCE_MS / 1000,
        ):
            self.ctx.publish_new_receipts()

    async def watch_streams(self, executor: Executor) -> None:
        """New output and signals of the executor's workers (signals first in each batch)."""
        async for batch in executor.changes(self.stop_event):
            for change in batch:
                if (worker := self.ctx.live.get(change.dispatch_id)) is None:
                    continue
                if change.stream == "signals":
                    self.quiet.note_activity(worker)  # a hook is activity too
                    if not self._unreachable(worker):  # else read once the link's return is recorded
                        await self.signals.on_signals(worker)
                else:
                    self.on_output(worker)

    def on_output(self, worker: LiveWorker) -> None:
        data = self.read_new(worker)
        if data:
            self.quiet.note_activity(worker)
            self.ctx.bus.publish(OutputArrived(id=worker.id, size=worker.offset))
            self.request_check(worker)
            self.sweep_soon()

    def sweep_soon(self) -> None:
        """Coalesced: at most one sweep per OUTPUT_SWEEP_DELAY_S while output flows."""
        if self._sweep_timer is None:
            self._sweep_timer = asyncio.get_running_loop().call_later(OUTPUT_SWEEP_DELAY_S, self._sweep_now)

    def _sweep_now(self) -> None:
        self._sweep_timer = None
        asyncio.get_running_loop().create_task(self.sweep())

    def read_new(self, worker: LiveWorker) -> bytes:
        data = self.ctx.executor_for(worker.id).read_output(worker.id, worker.offset, MAX_READ)
        if not data:
            return b""
        worker.offset += len(data)
        self.feed_usage(worker, data)
        return data

    def feed_usage(self, worker: LiveWorker, data: bytes) -> None:
        lines = (worker.partial + data).split(b"\n")
        worker.partial = lines.pop()[-65536:]  # an unfinished line; long ones are never usage JSON
        latest: Usage | None = None
        for line in lines:
            found = worker.parser.feed(line.decode("utf-8", "replace"))
            if found is not None:
                latest = found
        if latest is None:
            return
        latest = apply_prices(latest, worker.provider.prices)
        previous = worker.usage
        worker.usage = latest
        if previous is None or (previous.input_tokens, previous.output_tokens, previous.cost_micro_usd) != (
            latest.input_tokens,
            latest.output_tokens,
            latest.cost_micro_usd,
        ):
            base_in, base_out, base_cost = worker.usage_base
            data_out = UsageData(
                input_tokens=base_in + latest.input_tokens,
                output_tokens=base_out + latest.output_tokens,
                cost_micro_usd=base_cost + (latest.cost_micro_usd or 0),
            )
            if latest.is_error is not None:
                data_out["is_error"] = latest.is_error
            self.ctx.record("usage", worker.id, **data_out)

    # -- screens ------------------------------------------------------------------------

    def request_check(self, worker: LiveWorker) -> None:
        if worker.check_running:
            worker.check_again = True
            return
        worker.check_running = True
        asyncio.get_running_loop().create_task(self._check_loop(worker))

    async def _check_loop(self, worker: LiveWorker) -> None:
        try:
            while worker.id in self.ctx.live:
                worker.check_again = False
                await self.check_screen(worker)
                following = worker.answered.following(time.monotonic())
                if not (worker.check_again or following):
                    break
                # just answered: the dialog is about to go, so look again at once (see AnsweredPrompt)
                await asyncio.sleep(ANSWER_RECHECK_S if following else CHECK_GAP_S)
        except Exception:  # noqa: BLE001 one bad screen must not end the checks; logged with its traceback
            log.exception("screen check of %s failed", worker.id)
        finally:
            worker.check_running = False

    async def check_screen(self, worker: LiveWorker) -> None:
        captured_at = time.monotonic()  # before the capture: it shows the screen at this time or later
        try:
            screen = await asyncio.to_thread(self.ctx.executor_for(worker.id).capture, worker.id)
        except CockpitError:
            return  # the session is gone: the exit waiter or the sweep deals with it
        refused = worker.provider.patterns.refused_line(screen)
        if refused is not None:
            await self.refuse(worker.id, refused)
            return
        kind = worker.provider.patterns.classify(screen)
        if worker.transcript is not None:  # no hook follows some turns (a refused permission)
            await self.signals.update_usage(worker)
        async with self.ctx.lock(worker.id):
            d = self.ctx.ws.store.dispatch(worker.id)
            if d is None or not is_live(d.state) or worker.id not in self.ctx.live:
                return
            if d.state == WorkerState.PAUSED:  # stopped: what its screen shows changes nothing now
                return
            if d.state == WorkerState.UNREACHABLE:  # the sweep that records the link's return checks again
                return
            question = excerpt(screen, worker) if kind == "waiting" else ""
            if worker.answered.still_shown(kind, question, captured_at):  # answered, still drawn: no new prompt
                screen_may_change(worker, d.state, kind)  # (but one the screen has shown: it may end waiting)
                return
            if worker.prompt_pending:
                if kind == "waiting" and await self.workers.input.trust_own_worktree(worker, screen):
                    return
                if kind == "waiting":
                    worker.ready_since = None
                    self.workers.set_state(worker.id, WorkerState.WAITING, source="screen", screen=excerpt(screen, worker))
                elif kind in ("ready", "idle"):
                    await self._ready_seen(worker)
                else:
                    worker.ready_since = None
                return
            if worker.typed_at is not None:  # typed, not yet confirmed by a hook or the echo
                if not self.workers.input.prompt_echoed(worker, screen, kind):
                    if kind == "waiting":
                        self.workers.set_state(worker.id, WorkerState.WAITING, source="screen", screen=excerpt(screen, worker))
                    return
                self.signals.confirm_delivery(worker, confirmed_by="screen")
                d = self.ctx.ws.store.dispatch(worker.id) or d  # then read this same screen for the state
            if kind == "ready" and self._turn_ends_by_signal(worker):
                kind = None  # codex redraws its composer mid-turn; the turn ends by its signal
            if worker.mode == "headless":
                new = WorkerState.WAITING if kind == "waiting" else WorkerState.WORKING
            else:
                new = {"waiting": WorkerState.WAITING, "idle": WorkerState.IDLE, "ready": WorkerState.IDLE}.get(
                    kind or "", WorkerState.WORKING
                )
            if not screen_may_change(worker, d.state, kind):
                return
            extra = {"screen": excerpt(screen, worker)} if new == WorkerState.WAITING else {}
            changed = self.workers.set_state(worker.id, new, source="screen", **extra)
            if changed:
                note_screen_state(worker, new)
                if new == WorkerState.IDLE:
                    worker.turn_started = None
        if changed and new == WorkerState.IDLE:
            await self.after_idle(worker)

    async def refuse(self, dispatch_id: str, line: str) -> None:
        """End a worker whose screen shows a prompt cockpit never accepts (patterns.refuse)."""
        ctx = self.ctx
        async with ctx.lock(dispatch_id):
            d = ctx.ws.store.dispatch(dispatch_id)
            if d is None or not is_live(d.state):
                return
            ctx.forget(dispatch_id)
            data = TreeKillData()
            try:
                data = tree_kill_data(await self.workers.end_processes(dispatch_id))
            except CockpitError as exc:
                log.warning("could not stop refused worker %s: %s", dispatch_id, exc)
            ctx.record("killed", dispatch_id, reason="refused", error=f"refused: {line}", worktree_kept=d.worktree, **data)

    @staticmethod
    def _turn_ends_by_signal(worker: LiveWorker) -> bool:
        """Whether a prompt's turn is running in a CLI that reports only the end of a turn (a
        signal rule to idle, no delivery event): then its ready screen alone is not the end of
        the turn, only that signal or an idle pattern (an explicit end-of-turn marker) is."""
        spec = worker.provider.signals
        # Only for a CLI whose one signal is the turn's end (codex's notify): one that also
        # reports the turn's start (claude, gemini) is followed by its hooks, and a ready screen
        # after a refused permission (no hook fires then) must still end its waiting.
        return (
            worker.mode == "interactive"
            and worker.turn_started is not None
            and spec is not None
            and not spec.delivered
            and any(rule.state == "idle" for rule in spec.rules)
        )

    async def _ready_seen(self, worker: LiveWorker) -> None:
        """Type the prompt in once the ready screen has stayed for READY_STABLE_S (a composer
        that flashes before a sign-in menu replaces it must not get the prompt)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        if worker.ready_since is None:
            worker.ready_since = now
            worker.timers.append(loop.call_later(READY_STABLE_S + 0.02, self.request_check, worker))
            return
        if now - worker.ready_since >= READY_STABLE_S:
            await self.workers.input.deliver_prompt(worker)

    async def after_idle(self, worker: LiveWorker) -> None:
        if worker.gates_on_idle:
            worker.gates_on_idle = False
            await self.flow.idle_again(worker.id)

    # -- exits --------------------------------------------------------------------------

    async def wait_for_exits(self, executor: Executor) -> None:
        ctx = self.ctx
        while not self.stop_event.is_set():
            if not ctx.live:
                ctx.live_changed.clear()
                await ctx.live_changed.wait()
                continue
            outcome = await executor.wait_for_exit()
            await self.sweep(executor)
            if outcome == "unreachable":
                await asyncio.sleep(0.5)  # no server (yet): do not spin

    async def safety_sweep(self) -> None:
        while not self.stop_event.is_set():
            await asyncio.sleep(SAFETY_SWEEP_S)
            if self.ctx.live:
                await self.sweep()

    async def sweep(self, executor: Executor | None = None) -> None:
        """One query per executor; settle every live dispatch whose session ended or vanished."""
        for each in [executor] if executor is not None else list(self.ctx.executors.values()):
            await self._sweep_one(each)

    async def _sweep_one(self, executor: Executor) -> None:
        ctx = self.ctx
        # Which dispatches are live is read BEFORE asking the executor: one that starts
        # meanwhile must not be judged on a session list taken before its session existed.
        candidates = [
            d for d in ctx.ws.store.dispatches(states=tuple(str(s) for s in LIVE_STATES)) if ctx.executor_for(d) is executor
        ]
        if not candidates:
            return
        sessions = await asyncio.to_thread(executor.sessions)
        if isinstance(executor, RemoteExecutor):
            if not executor.link_up:  # link loss is not death: its workers go on on the host
                for d in candidates:
                    self.workers.set_state(d.id, WorkerState.UNREACHABLE, source=LINK_SOURCE, **executor.link_data())
                return
            for d in candidates:
                if d.state == WorkerState.UNREACHABLE and (s := sessions.get(d.id)) is not None and not s.exited:
                    # The way back is the link's receipt, first: screens and hooks wait for it.
                    back = self.workers.set_state(d.id, WorkerState.WORKING, source=LINK_SOURCE, **executor.link_data())
                    if back and (worker := self.ctx.live.get(d.id)) is not None:
                        await self.signals.on_signals(worker)  # hooks that arrived meanwhile, in order
                        self.request_check(worker)  # the screen says what it does now
        for d in candidates:
            session = sessions.get(d.id)
            if session is None:
                reason = "the tmux server is gone" if not sessions.reachable else "its tmux session disappeared"
                await self.mark_lost(d.id, reason)
            elif session.exited:
                await self.finish(d.id, session.exit_code, signal=session.exit_signal)

    def _unreachable(self, worker: LiveWorker) -> bool:
        d = self.ctx.ws.store.dispatch(worker.id)
        return d is not None and d.state == WorkerState.UNREACHABLE

    async def mark_lost(self, dispatch_id: str, reason: str) -> None:
        async with self.ctx.lock(dispatch_id):
            d = self.ctx.ws.store.dispatch(dispatch_id)
            if d is None or not is_live(d.state):
                return
            # The pane list was taken before the lock: a sent-back worker may have started since.
            if await asyncio.to_thread(self.ctx.executor_for(d).has_session, dispatch_id):
                return
            self.ctx.forget(dispatch_id)
            self.ctx.record("lost", dispatch_id, reason=reason, worktree_kept=d.worktree)

    async def finish(self, dispatch_id: str, code: int | None, *, signal: int | None = None, while_down: bool = False) -> None:
        ctx = self.ctx
        if (running := ctx.live.get(dispatch_id)) is not None:
            await self.signals.on_signals(running)  # its last hooks (Stop, SessionEnd) first
        async with ctx.lock(dispatch_id):
            d = ctx.ws.store.dispatch(dispatch_id)
            if d is None or not is_live(d.state):
                return
            worker = ctx.live.get(dispatch_id) or ctx.adopt(d, prompt_pending=False)
            await self._drain(worker)
            await self.signals.update_usage(worker)
            ctx.forget(dispatch_id)
            data = ExitedData(code=code)
            if code is None and signal is not None:  # killed by a signal: the shell's convention
                data["code"], data["signal"] = 128 + signal, signal
            if while_down:
                data["while_supervisor_was_down"] = True
            # The CLI's own reason, so `status` need not send you to the log; after a clean exit
            # only an error that is the last thing it said (aider exits 0 on auth failures).
            if error := last_error_of(worker.log_path, final_only=data["code"] == 0):
                data["error"] = error
            ctx.record("exited", dispatch_id, **data)
        await self.flow.exited(dispatch_id, code)

    async def _drain(self, worker: LiveWorker) -> None:
        """Read the log until it stops growing: tmux hands the last bytes to the pipe late."""
        quiet = 0
        executor = self.ctx.executor_for(worker.id)
        for _ in range(40):
            size = executor.output_size(worker.id)
            if size > worker.offset:
                self.read_new(worker)
                quiet = 0
            else:
                quiet += 1
                if quiet >= 3:
                    break
            await asyncio.sleep(0.025)
        if worker.partial:
            self.feed_usage(worker, b"\n")


def excerpt(screen: str, worker: LiveWorker | None = None) -> str:
    """A waiting screen's question, not its frame (the line a waiting pattern matches first)."""
    patterns = worker.provider.patterns.compiled("waiting") if worker is not None else ()
    return waiting_excerpt(screen, patterns)
