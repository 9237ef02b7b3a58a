"""Typing into workers: the prompt (confirmed by a hook or its echo), `cockpit send`, answers."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cockpit.domain.dispatch import WorkerState, is_live
from cockpit.domain.screen_text import waiting_excerpt
from cockpit.domain.secrets import mask_text
from cockpit.errors import CheckFailed, CockpitError, UsageError
from cockpit.protocol.replies import SendReply
from cockpit.service.context import Context, LiveWorker, log

if TYPE_CHECKING:
    from cockpit.service.workers import Workers

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
DELIVERY_CONFIRM_S = 20.0  # a typed prompt not confirmed by a hook or its echo by then: say so
PASTE_SETTLE_S = 2.0  # at most this long for a pasted prompt to show before the submit keys
PASTE_QUIET_S = 0.15  # ... and the screen must then stay still this long
TRUST_SETTLE_S = 5.0  # a trust prompt cockpit answered may stay on screen this long
ANSWER_DRAW_WAIT_S = 3.0  # how long `send --key` waits for a waiting worker to draw its question


def prompt_path(ctx: Context, dispatch_id: str) -> Path:
    return ctx.ws.state.dispatch_dir(dispatch_id) / "prompt.txt"


def read_prompt(ctx: Context, dispatch_id: str) -> str:
    return prompt_path(ctx, dispatch_id).read_bytes().decode("utf-8")


class WorkerInput:
    def __init__(self, ctx: Context, workers: Workers) -> None:
        self.ctx = ctx
        self.workers = workers

    # The worker's terminal, wherever it runs (its executor; the calls block, so off the loop).

    async def _capture(self, dispatch_id: str) -> str:
        return await asyncio.to_thread(self.ctx.executor_for(dispatch_id).capture, dispatch_id)

    async def _paste(self, dispatch_id: str, text: str) -> None:
        await asyncio.to_thread(self.ctx.executor_for(dispatch_id).paste_text, dispatch_id, text)

    async def _keys(self, dispatch_id: str, *keys: str) -> None:
        await asyncio.to_thread(self.ctx.executor_for(dispatch_id).send_keys, dispatch_id, *keys)

    async def deliver_prompt(self, worker: LiveWorker) -> None:
        """Type the prompt in. It counts as delivered (`prompt_delivered`) only once the CLI
        confirms it: its hook (the catalog's signals.delivered) or the prompt's echo on screen."""
        ctx = self.ctx
        worker.prompt_pending = False
        worker.prompt_file = worker.prompt_file or prompt_path(ctx, worker.id)
        prompt = worker.prompt_file.read_bytes().decode("utf-8")
        spec = worker.provider.interactive
        keys = spec.submit_keys if spec else ["Enter"]
        before = await self._capture(worker.id)
        await self._paste(worker.id, prompt)
        await self._settled_after_paste(worker.id, before)
        if spec is not None and spec.submit_delay_s:
            await asyncio.sleep(spec.submit_delay_s)
        await self._keys(worker.id, *keys)
        worker.typed_at = time.monotonic()
        loop = asyncio.get_running_loop()
        worker.timers.append(loop.call_later(DELIVERY_CONFIRM_S, lambda: asyncio.ensure_future(self._unconfirmed(worker.id))))
        if spec is not None and spec.resubmit_after_s:
            worker.timers.append(
                loop.call_later(spec.resubmit_after_s, lambda: asyncio.ensure_future(self._resubmit(worker.id, keys)))
            )
        self.workers.screen_changed(worker)

    async def _settled_after_paste(self, dispatch_id: str, before: str) -> None:
        """Wait until the TUI has shown the pasted text (its screen changed) and then stayed
        still for PASTE_QUIET_S: an Enter that arrives while a TUI still takes in a paste
        can be read as part of it (claude 2.1.197 kept the prompt in its input box)."""
        deadline = time.monotonic() + PASTE_SETTLE_S
        last, still_since = before, None
        while time.monotonic() < deadline:
            await asyncio.sleep(0.03)
            screen = await self._capture(dispatch_id)
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
            await self._keys(dispatch_id, *keys)
        except CockpitError:
            return

    async def _unconfirmed(self, dispatch_id: str) -> None:
        ctx = self.ctx
        worker = ctx.live.get(dispatch_id)
        if worker is None or worker.typed_at is None:
            return
        try:
            screen = await self._capture(dispatch_id)
        except CockpitError:
            return
        async with ctx.lock(dispatch_id):
            if worker.typed_at is None or dispatch_id not in ctx.live:
                return
            by_hook = worker.provider.signals is not None and bool(worker.provider.signals.delivered)
            if not by_hook and _shows_prompt(worker, screen):  # a hook CLI's input box proves nothing
                self.workers.confirm_delivery(worker, confirmed_by="screen", note="no hook confirmed it")
                return
            self.workers.set_state(
                dispatch_id,
                WorkerState.WAITING,
                source="screen",
                reason=f"the prompt was typed in but {worker.provider.name} did not confirm it "
                f"within {DELIVERY_CONFIRM_S:g} s (it was not typed again); attach to look",
            )

    async def send(self, dispatch_id: str, *, text: str | None, key: str | None, enter: bool, actor: str) -> SendReply:
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
            if d.state == WorkerState.PAUSED:
                raise CheckFailed(f"worker {dispatch_id} is paused; nothing was sent", hint=f"cockpit resume {dispatch_id}")
            if text is not None:
                await self._paste(dispatch_id, text)
                if enter:
                    await self._keys(dispatch_id, "Enter")
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
            elif key is not None:  # always, by the check above
                await self._keys(dispatch_id, key)
                ctx.record("input_sent", dispatch_id, actor=actor, keypress=key)
        self.workers.screen_changed(worker)
        if key in ANSWER_KEYS:
            return result
        return SendReply(id=dispatch_id, sent=True)

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
        await self._keys(worker.id, *mapping.yes)
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

    async def _answer(self, worker: LiveWorker, answer: str, actor: str) -> SendReply:
        """Answer the prompt on screen with the keys the catalog maps to it, and say which."""
        ctx = self.ctx
        screen = await self._capture(worker.id)
        found = worker.provider.answer_for(screen)
        # A hook can report the question before the TUI has drawn it (gemini's Notification):
        # give a waiting worker's screen a moment to show it.
        deadline = time.monotonic() + ANSWER_DRAW_WAIT_S
        while found is None and time.monotonic() < deadline and self._is_waiting(worker.id):
            await asyncio.sleep(0.1)
            screen = await self._capture(worker.id)
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
        # Until the CLI takes this dialog down, a screen showing it is not a new prompt.
        worker.answered.answer(waiting_excerpt(screen, worker.provider.patterns.compiled("waiting")), time.monotonic())
        await self._keys(worker.id, *keys)
        ctx.record("answered", worker.id, actor=actor, answer=answer, prompt=kind, keys=keys)
        self.workers.screen_changed(worker)  # followed closely until the dialog goes (Monitor._check_loop)
        return SendReply(id=worker.id, sent=True, answered=answer, prompt=kind, keys=keys)


def _shows_prompt(worker: LiveWorker, screen: str) -> bool:
    try:
        prompt = (worker.prompt_file.read_bytes() if worker.prompt_file else b"").decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    lines = [line for line in prompt.splitlines() if line.strip()]
    flat = "".join(screen.split())
    return any((needle := "".join(line.split())[:40]) and needle in flat for line in lines[:1] + lines[-1:])
