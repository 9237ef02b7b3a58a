"""Starting, prompting, answering, stopping workers: every step a receipt."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cockpit.domain.dispatch import Dispatch, WorkerState, can_transition, is_live
from cockpit.domain.secrets import mask_text
from cockpit.errors import CheckFailed, CockpitError, UsageError
from cockpit.runtime.launch import write_launch_spec
from cockpit.runtime.log_errors import last_error_of
from cockpit.runtime.private_files import write_private
from cockpit.runtime.proctree import TreeKill, kill_tree, worker_processes
from cockpit.runtime.providers import build_launch
from cockpit.runtime.tmux_names import TmuxError, gate_name
from cockpit.service.context import Context, LiveWorker, log
from cockpit.service.worker_env import worker_env

# Keys `cockpit send --key` may press: one character, or a tmux key name from this list.
KEY_NAMES = frozenset(
    {
        "Enter",
        "Escape",
        "Tab",
        "BTab",
        "BSpace",
        "Space",
        "Up",
        "Down",
        "Left",
        "Right",
        "Home",
        "End",
        "PageUp",
        "PageDown",
        "C-c",
        "C-d",
        "C-z",
        "C-l",
    }
)
SINGLE_KEY = re.compile(r"^[ -~]$")
ANSWER_KEYS = {"y": "yes", "n": "no"}  # --key y|n answers the prompt on screen with the catalog's keys
DELIVERY_CONFIRM_S = 20.0
PASTE_SETTLE_S = 2.0  # at most this long for a pasted prompt to show before the submit keys
PASTE_QUIET_S = 0.15  # ... and the screen must then stay still this long
TRUST_SETTLE_S = 5.0  # a trust prompt cockpit answered may stay on screen this long  # a typed prompt not confirmed by a hook or its echo by then: say so


def prompt_path(ctx: Context, dispatch_id: str) -> Path:
    return ctx.ws.state.dispatch_dir(dispatch_id) / "prompt.txt"


def read_prompt(ctx: Context, dispatch_id: str) -> str:
    return prompt_path(ctx, dispatch_id).read_bytes().decode("utf-8")


ANSWER_DRAW_WAIT_S = 3.0  # how long `send --key` waits for a waiting worker to draw its question


class Workers:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.on_screen_change: Any = None  # set by the monitor: schedules a screen check
        self.signals: Any = None  # set by the monitor: confirms deliveries
        self.rounds: Any = None  # set by the review-loop extension: new rounds (cockpit/service/rounds.py)

    # -- states -------------------------------------------------------------------------

    def set_state(self, dispatch_id: str, new: WorkerState, *, source: str, **data: Any) -> bool:
        """Record a state change; `source` says what saw it: hook, event, screen or exit."""
        d = self.ctx.ws.store.dispatch(dispatch_id)
        if d is None or d.state == new or not can_transition(d.state, new):
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
            except Exception as exc:  # never leave a dispatch stuck in `queued`
                ctx.forget(dispatch_id)
                log.exception("dispatch %s failed to start", dispatch_id)
                ctx.record("start_failed", dispatch_id, error=f"{type(exc).__name__}: {exc}")

    async def _start(self, d: Dispatch) -> None:
        ctx = self.ctx
        provider = ctx.catalog.get(d.provider)
        worktree = Path(d.worktree)
        if not (worktree.is_dir() and await asyncio.to_thread(ctx.ws.git.branch_exists, d.branch)):
            info = await asyncio.to_thread(ctx.ws.git.create_worktree, d.id, worktree, d.base_commit or d.base_ref)
            ctx.record("worktree_created", d.id, base_commit=info.base_commit, branch=info.branch, worktree=str(info.path))
        await self._launch(d, provider, prompt_path(ctx, d.id))

    async def _launch(self, d: Dispatch, provider: Any, prompt_file: Path) -> None:
        """Start the agent in a new tmux session on the worktree, with `prompt_file` as its prompt."""
        ctx = self.ctx
        state = ctx.ws.state
        worktree = Path(d.worktree)
        prompt = prompt_file.read_bytes().decode("utf-8")
        launch = build_launch(provider, d.mode, prompt, prompt_file)
        spec_path = state.dispatch_dir(d.id) / "launch.json"
        write_launch_spec(
            spec_path,
            socket=ctx.tmux.socket_name,
            gate=gate_name(d.id),
            argv=launch.argv,
            env=worker_env(ctx, d, launch.env),
            cwd=worktree,
            stdin_path=launch.stdin_path,
            prompt_path=prompt_file if launch.prompt_arg_index is not None else None,
            prompt_arg_index=launch.prompt_arg_index,
        )
        worker = ctx.adopt(d, prompt_pending=d.mode == "interactive")
        worker.prompt_file = prompt_file
        if worker.log_path.exists():  # a sent-back dispatch: its earlier runs are already counted
            worker.offset = worker.log_path.stat().st_size
            worker.usage_base = (d.tokens_in, d.tokens_out, d.cost_micro_usd)
            worker.usage = None
        settings = ctx.config.supervisor
        try:
            await asyncio.to_thread(
                ctx.tmux.start_session,
                d.id,
                cwd=worktree,
                spec_path=spec_path,
                log_path=worker.log_path,
                width=settings.terminal_width,
                height=settings.terminal_height,
            )
        except TmuxError as exc:
            if "duplicate session" not in str(exc):
                raise
            # Its session already runs (a supervisor died right after starting it): adopt it.
        self._record_started(d, worker, launch.argv[0], prompt, via_arg=launch.prompt_arg_index is not None)
        if d.mode != "headless":
            spec = provider.interactive
            wait_s = spec.ready_timeout_s if spec is not None else 60
            worker.timers.append(
                asyncio.get_running_loop().call_later(wait_s, lambda: asyncio.ensure_future(self._not_ready(d.id, wait_s)))
            )
        self.arm_timeout(worker, d)
        if self.on_screen_change is not None:
            self.on_screen_change(worker)

    def _record_started(self, d: Dispatch, worker: LiveWorker, argv0: str, prompt: str, *, via_arg: bool, **extra: Any) -> None:
        ctx = self.ctx
        ctx.record(
            "worker_started",
            d.id,
            session=d.id,
            socket=ctx.tmux.socket_name,
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
            if self.on_screen_change is not None:
                self.on_screen_change(worker)

    def arm_timeout(self, worker: LiveWorker, d: Dispatch) -> None:
        if not d.timeout_s:
            return
        from cockpit.service.views import elapsed_seconds

        remaining = max(0.0, d.timeout_s - (elapsed_seconds(d) or 0.0))
        worker.timers.append(
            asyncio.get_running_loop().call_later(remaining, lambda: asyncio.ensure_future(self.time_out(d.id, d.timeout_s)))
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
                await asyncio.to_thread(ctx.tmux.paste_text, dispatch_id, text)
                await asyncio.to_thread(ctx.tmux.send_keys, dispatch_id, "Enter")
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
            await asyncio.to_thread(ctx.tmux.kill_session, dispatch_id)  # the finished run's dead pane
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

    # -- prompt and input ------------------------------------------------------------

    async def deliver_prompt(self, worker: LiveWorker) -> None:
        """Type the prompt in. It counts as delivered (`prompt_delivered`) only once the CLI
        confirms it: its hook (the catalog's signals.delivered) or the prompt's echo on screen."""
        ctx = self.ctx
        worker.prompt_pending = False
        worker.prompt_file = worker.prompt_file or prompt_path(ctx, worker.id)
        prompt = worker.prompt_file.read_bytes().decode("utf-8")
        spec = worker.provider.interactive
        keys = spec.submit_keys if spec else ["Enter"]
        before = await asyncio.to_thread(ctx.tmux.capture, worker.id)
        await asyncio.to_thread(ctx.tmux.paste_text, worker.id, prompt)
        await self._settled_after_paste(worker.id, before)
        if spec is not None and spec.submit_delay_s:
            await asyncio.sleep(spec.submit_delay_s)
        await asyncio.to_thread(ctx.tmux.send_keys, worker.id, *keys)
        worker.typed_at = time.monotonic()
        loop = asyncio.get_running_loop()
        worker.timers.append(loop.call_later(DELIVERY_CONFIRM_S, lambda: asyncio.ensure_future(self._unconfirmed(worker.id))))
        if spec is not None and spec.resubmit_after_s:
            worker.timers.append(
                loop.call_later(spec.resubmit_after_s, lambda: asyncio.ensure_future(self._resubmit(worker.id, keys)))
            )
        if self.on_screen_change is not None:
            self.on_screen_change(worker)

    async def _settled_after_paste(self, dispatch_id: str, before: str) -> None:
        """Wait until the TUI has shown the pasted text (its screen changed) and then stayed
        still for PASTE_QUIET_S: an Enter that arrives while a TUI still takes in a paste
        can be read as part of it (claude 2.1.197 kept the prompt in its input box)."""
        deadline = time.monotonic() + PASTE_SETTLE_S
        last, still_since = before, None
        while time.monotonic() < deadline:
            await asyncio.sleep(0.03)
            screen = await asyncio.to_thread(self.ctx.tmux.capture, dispatch_id)
            if screen != last:
                last, still_since = screen, time.monotonic()
            elif still_since is not None and time.monotonic() - still_since >= PASTE_QUIET_S:
                return

    @staticmethod
    def prompt_echoed(worker: LiveWorker, screen: str, kind: str | None) -> bool:
        """Whether the screen confirms the typed prompt: its first or last line is shown
        (wrapping and spacing ignored), or the CLI shows its explicit end-of-turn marker."""
        if worker.provider.signals is not None and worker.provider.signals.delivered:
            return False  # this CLI confirms by its hook; text in its input box proves nothing
        return kind == "idle" or _shows_prompt(worker, screen)

    async def _resubmit(self, dispatch_id: str, keys: list[str]) -> None:
        """The submit keys once more for a typed prompt no hook has confirmed (gemini under load
        took the first Enter as a newline in its input box); the text is never typed again."""
        worker = self.ctx.live.get(dispatch_id)
        if worker is None or worker.typed_at is None:
            return
        log.info("prompt of %s not confirmed yet: submit keys sent once more", dispatch_id)
        try:
            await asyncio.to_thread(self.ctx.tmux.send_keys, dispatch_id, *keys)
        except CockpitError:
            return

    async def _unconfirmed(self, dispatch_id: str) -> None:
        ctx = self.ctx
        worker = ctx.live.get(dispatch_id)
        if worker is None or worker.typed_at is None:
            return
        try:
            screen = await asyncio.to_thread(ctx.tmux.capture, dispatch_id)
        except CockpitError:
            return
        async with ctx.lock(dispatch_id):
            if worker.typed_at is None or dispatch_id not in ctx.live:
                return
            by_hook = worker.provider.signals is not None and bool(worker.provider.signals.delivered)
            if not by_hook and _shows_prompt(worker, screen):  # a hook CLI's input box proves nothing
                self.signals.confirm_delivery(worker, confirmed_by="screen", note="no hook confirmed it")
                return
            self.set_state(
                dispatch_id,
                WorkerState.WAITING,
                source="screen",
                reason=f"the prompt was typed in but {worker.provider.name} did not confirm it "
                f"within {DELIVERY_CONFIRM_S:g} s (it was not typed again); attach to look",
            )

    async def send(self, dispatch_id: str, *, text: str | None, key: str | None, enter: bool, actor: str) -> dict[str, Any]:
        ctx = self.ctx
        if (text is None) == (key is None):
            raise UsageError("give either TEXT or --key KEY")
        if key is not None and key not in KEY_NAMES and not SINGLE_KEY.match(key):
            raise UsageError(
                f"unknown key {key!r}", hint=f"use one printable character or one of: {', '.join(sorted(KEY_NAMES))}"
            )
        if text is not None and ("\x00" in text or not text):
            raise UsageError("the text to send is empty or contains NUL bytes")
        async with ctx.lock(dispatch_id):
            d = ctx.dispatch(dispatch_id)
            worker = ctx.live.get(dispatch_id)
            if not is_live(d.state) or worker is None:
                raise UsageError(f"worker {dispatch_id} is not running (it is {d.state})")
            if text is not None:
                await asyncio.to_thread(ctx.tmux.paste_text, dispatch_id, text)
                if enter:
                    await asyncio.to_thread(ctx.tmux.send_keys, dispatch_id, "Enter")
                ctx.record(
                    "input_sent",
                    dispatch_id,
                    actor=actor,
                    bytes=len(text.encode()),
                    enter=enter,
                    sha256=hashlib.sha256(text.encode()).hexdigest(),
                    excerpt=mask_text(text[:80]),
                )
            elif key in ANSWER_KEYS:
                result = await self._answer(worker, ANSWER_KEYS[key], actor)
            else:
                await asyncio.to_thread(ctx.tmux.send_keys, dispatch_id, key)
                ctx.record("input_sent", dispatch_id, actor=actor, keypress=key)
        if self.on_screen_change is not None:
            self.on_screen_change(worker)
        if key in ANSWER_KEYS:
            return result
        return {"id": dispatch_id, "sent": True}

    async def trust_own_worktree(self, worker: LiveWorker, screen: str) -> bool:
        """Answer the CLI's workspace-trust prompt (the catalog's `trust` answer) before the
        prompt is typed: cockpit created this worktree on the operator's request. Once per worker."""
        mapping = worker.provider.answers.get("trust")
        if mapping is None or not mapping.matches(screen):
            return False
        if worker.trust_answered is not None:
            # still on screen while the CLI takes the answer in; if it stays, the operator must look
            return time.monotonic() - worker.trust_answered < TRUST_SETTLE_S
        worker.trust_answered = time.monotonic()
        await asyncio.to_thread(self.ctx.tmux.send_keys, worker.id, *mapping.yes)
        self.ctx.record(
            "answered",
            worker.id,
            answer="yes",
            prompt="trust",
            keys=list(mapping.yes),
            reason="cockpit created this worktree for the dispatch",
        )
        return True

    def _is_waiting(self, dispatch_id: str) -> bool:
        d = self.ctx.ws.store.dispatch(dispatch_id)
        return d is not None and d.state == WorkerState.WAITING

    async def _answer(self, worker: LiveWorker, answer: str, actor: str) -> dict[str, Any]:
        """Answer the prompt on screen with the keys the catalog maps to it, and say which."""
        ctx = self.ctx
        screen = await asyncio.to_thread(ctx.tmux.capture, worker.id)
        found = worker.provider.answer_for(screen)
        # A hook can report the question before the TUI has drawn it (gemini's Notification):
        # give a waiting worker's screen a moment to show it.
        deadline = time.monotonic() + ANSWER_DRAW_WAIT_S
        while found is None and time.monotonic() < deadline and self._is_waiting(worker.id):
            await asyncio.sleep(0.1)
            screen = await asyncio.to_thread(ctx.tmux.capture, worker.id)
            found = worker.provider.answer_for(screen)
        if found is None:
            known = ", ".join(worker.provider.answers) or "none"
            raise CheckFailed(
                f"no answer mapping of provider {worker.provider.name} matches the prompt on {worker.id}'s "
                f"screen (known prompt types: {known}); nothing was sent",
                hint=f"attach to look, or type keys yourself: cockpit send {worker.id} TEXT --no-enter",
            )
        kind, mapping = found
        keys = list(mapping.yes if answer == "yes" else mapping.no)
        await asyncio.to_thread(ctx.tmux.send_keys, worker.id, *keys)
        ctx.record("answered", worker.id, actor=actor, answer=answer, prompt=kind, keys=keys)
        return {"id": worker.id, "sent": True, "answered": answer, "prompt": kind, "keys": keys}

    # -- stopping ------------------------------------------------------------------------

    async def end_processes(self, dispatch_id: str) -> TreeKill:
        """End the worker's whole process tree (SIGTERM, then SIGKILL after the grace period),
        then its tmux session. Closing the pane alone only sends SIGHUP, which agents may ignore."""
        ctx = self.ctx
        pane_pid = await asyncio.to_thread(ctx.tmux.pane_pid, dispatch_id)
        procs = await asyncio.to_thread(worker_processes, ctx.ws.state.dispatch_dir(dispatch_id), pane_pid)
        result = await asyncio.to_thread(kill_tree, procs, ctx.config.supervisor.kill_grace_s)
        await asyncio.to_thread(ctx.tmux.kill_session, dispatch_id)
        if result.survivors:
            log.warning("worker %s: %s", dispatch_id, result.sentence())
        return result

    async def kill(self, dispatch_id: str, *, actor: str) -> dict[str, Any]:
        ctx = self.ctx
        async with ctx.lock(dispatch_id):
            d = ctx.dispatch(dispatch_id)
            if d.state == WorkerState.QUEUED:
                ctx.record("killed", dispatch_id, actor=actor, before_start=True)
                return {"id": dispatch_id, "killed": True, "how": "it had not started"}
            if not is_live(d.state):
                return {"id": dispatch_id, "killed": False, "state": str(d.state)}
            ended = await self.end_processes(dispatch_id)
            # Only now is its slot free: forget() lets a queued dispatch start right after this receipt.
            ctx.forget(dispatch_id)
            ctx.record("killed", dispatch_id, actor=actor, **_tree_data(ended))
        return {
            "id": dispatch_id,
            "killed": True,
            "how": ended.sentence(),
            "processes": ended.processes(),
            "survivors": [p.pid for p in ended.survivors],
        }

    async def time_out(self, dispatch_id: str, limit: int) -> None:
        ctx = self.ctx
        async with ctx.lock(dispatch_id):
            d = ctx.ws.store.dispatch(dispatch_id)
            if d is None or not is_live(d.state):
                return
            data: dict[str, Any] = {}
            try:
                data = _tree_data(await self.end_processes(dispatch_id))
            except CockpitError as exc:
                log.warning("could not stop timed-out worker %s: %s", dispatch_id, exc)
            if error := last_error_of(ctx.ws.state.log(dispatch_id)):
                data["error"] = error
            ctx.forget(dispatch_id)  # after its processes are gone: only then is its slot free
            ctx.record("timed_out", dispatch_id, after_s=limit, worktree_kept=d.worktree, **data)


def _tree_data(ended: TreeKill) -> dict[str, Any]:
    return {
        "processes": ended.processes(),
        "grace_ms": int(ended.grace_s * 1000),
        "how": ended.sentence(),
        "survivors": [p.pid for p in ended.survivors],
    }


def _shows_prompt(worker: LiveWorker, screen: str) -> bool:
    try:
        prompt = (worker.prompt_file.read_bytes() if worker.prompt_file else b"").decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    lines = [line for line in prompt.splitlines() if line.strip()]
    flat = "".join(screen.split())
    return any((needle := "".join(line.split())[:40]) and needle in flat for line in lines[:1] + lines[-1:])


def new_dispatch_id(taken: Callable[[str], bool], last_millis: list[int]) -> str:
    """A fresh id; `last_millis` keeps time strictly increasing across calls."""
    from cockpit.domain.dispatch import make_id

    millis = max(int(time.time() * 1000), last_millis[0] + 1)
    last_millis[0] = millis
    while True:
        candidate = make_id(millis, int.from_bytes(os.urandom(2), "big"))
        if not taken(candidate):
            return candidate
