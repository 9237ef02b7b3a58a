"""Status from the CLIs' own signals: each worker's $COCKPIT_SIGNALS file, one JSON line per event.

A CLI hook (claude: hooks wired through `--settings`, see the catalog's `signals:`)
appends {"source": "hook"|"event", "event": NAME, "payload": {...}} per event. The
monitor watches the signals directory like the logs directory and hands new lines
here. The catalog's rules map events to states; such a state change is recorded with
data.source = "hook" (or "event"). Screens stay the fallback: see `screen_may_change`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cockpit.domain.dispatch import WorkerState, is_live
from cockpit.errors import CockpitError
from cockpit.runtime.transcripts import TranscriptUsage, codex_session_file
from cockpit.runtime.usage import Usage, apply_prices
from cockpit.service.context import Context, LiveWorker, log
from cockpit.service.receipt_data import StateChangeData
from cockpit.service.signal_records import HookPayload, SignalRecord, parse_signal_line

if TYPE_CHECKING:
    from cockpit.service.monitor import Monitor
    from cockpit.service.workers import Workers

MAX_READ = 4 * 1024 * 1024
_STATES = {"working": WorkerState.WORKING, "waiting": WorkerState.WAITING, "idle": WorkerState.IDLE}


TRANSCRIPT_REREAD_S = (0.3, 1.0, 3.0)  # after a hook, when the transcript may still be written


class Signals:
    def __init__(self, ctx: Context, workers: Workers, monitor: Monitor) -> None:
        self.ctx = ctx
        self.workers = workers
        self.monitor = monitor
        self._rereads: set[asyncio.Task[None]] = set()

    # -- reading --------------------------------------------------------------------------

    def read_new(self, worker: LiveWorker) -> list[SignalRecord]:
        data = self.ctx.executor_for(worker.id).read_signals(worker.id, worker.signal_offset, MAX_READ)
        worker.signal_offset += len(data)
        lines = (worker.signal_partial + data).split(b"\n") if data else []
        if not lines:
            return []
        worker.signal_partial = lines.pop()[-1_048_576:]
        events = []
        for line in lines:
            try:
                record = parse_signal_line(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                log.warning("signal line of %s is not JSON: %.120r", worker.id, line)
                continue
            if record is not None:
                events.append(record)
        return events

    async def on_signals(self, worker: LiveWorker) -> None:
        for record in self.read_new(worker):
            try:
                await self.handle(worker, record)
            except Exception:  # noqa: BLE001 one odd signal must not drop the rest; logged with its traceback
                log.exception("signal of %s failed: %.200r", worker.id, record)

    # -- acting ---------------------------------------------------------------------------

    async def handle(self, worker: LiveWorker, record: SignalRecord) -> None:
        spec = worker.provider.signals
        if spec is None:
            return
        event, source, payload = record.event, record.source, record.payload
        worker.signals_seen = True
        transcript = payload.get("transcript_path")
        if spec.usage == "codex_session" and worker.mode == "interactive":
            transcript = self._codex_session(worker, payload)
        if spec.usage != "none" and isinstance(transcript, str) and worker.mode == "interactive":
            if worker.transcript is None or worker.transcript.path != Path(transcript):
                kind = {"gemini_session": "gemini", "codex_session": "codex"}.get(spec.usage, "claude")
                worker.transcript = TranscriptUsage(Path(transcript), kind)
        ctx = self.ctx
        changed, new = False, None
        async with ctx.lock(worker.id):
            d = ctx.ws.store.dispatch(worker.id)
            if d is None or not is_live(d.state) or worker.id not in ctx.live:
                return
            if worker.typed_at is not None and event in spec.delivered and self._same_prompt(worker, payload):
                self.confirm_delivery(worker, confirmed_by=source, event=event)
            state = spec.state_for(event, payload)
            if state in _STATES and not worker.prompt_pending and worker.typed_at is None:
                new = _STATES[state]
                if worker.mode == "headless" and new == WorkerState.IDLE:
                    new = None  # a headless run ends by exiting; its Stop is not "idle"
            if new is not None:
                extra = StateChangeData(event=event)
                if new == WorkerState.WAITING:
                    extra["question"] = payload_question(payload)[:200]
                changed = self.workers.set_state(worker.id, new, source=source, **extra)
                note_signal_state(worker, new, changed=changed)
                if new == WorkerState.IDLE:
                    worker.turn_started = None
            if spec.asks_permission(event, payload):
                for asker in ctx.permission_askers:
                    asker(worker.id, payload)
            if spec.usage == "event" and event == "usage" and worker.mode == "interactive":
                self.event_usage(worker, payload)
            await self.update_usage(worker)
            if worker.transcript is not None:
                self._reread_transcript_later(worker)
        if changed and new == WorkerState.IDLE:
            await self.monitor.after_idle(worker)

    def _reread_transcript_later(self, worker: LiveWorker) -> None:
        """claude may append a turn's last message to its transcript after the hook that ended
        the turn, and an idle screen brings no further event: read it again shortly after."""
        loop = asyncio.get_running_loop()

        def reread() -> None:
            if worker.id in self.ctx.live:
                task = loop.create_task(self.update_usage(worker))
                self._rereads.add(task)  # held until done: the loop keeps only weak references
                task.add_done_callback(self._rereads.discard)

        now = loop.time()
        worker.timers = [t for t in worker.timers if not t.cancelled() and t.when() > now]  # drop fired ones
        for delay in TRANSCRIPT_REREAD_S:
            worker.timers.append(loop.call_later(delay, reread))

    def _same_prompt(self, worker: LiveWorker, payload: HookPayload) -> bool:
        said = payload.get("prompt")
        if not isinstance(said, str) or worker.prompt_file is None:
            return True  # the event confirms a submission; it carries no prompt to compare
        try:
            typed = worker.prompt_file.read_bytes().decode("utf-8")
        except OSError:
            return True
        return said.strip() == typed.strip()

    def confirm_delivery(self, worker: LiveWorker, *, confirmed_by: str, **extra: Any) -> None:
        """Record `prompt_delivered` for a typed prompt, once; the worker is working."""
        if worker.typed_at is None:
            return
        prompt = worker.prompt_file.read_bytes() if worker.prompt_file else b""
        waited_ms = int((time.monotonic() - worker.typed_at) * 1000)
        worker.typed_at = None
        worker.turn_started = time.monotonic()
        self.ctx.record(
            "prompt_delivered",
            worker.id,
            via="paste",
            bytes=len(prompt),
            sha256=hashlib.sha256(prompt).hexdigest(),
            confirmed_by=confirmed_by,
            confirm_ms=waited_ms,
            **extra,
        )
        self.workers.set_state(worker.id, WorkerState.WORKING, source=confirmed_by)

    def event_usage(self, worker: LiveWorker, payload: HookPayload) -> None:
        """Interactive usage from a `usage` event carrying the session's totals (opencode)."""
        from cockpit.runtime.usage import usd_to_micro

        tokens_in, tokens_out = payload.get("input_tokens"), payload.get("output_tokens")
        if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in (tokens_in, tokens_out)):
            return
        assert isinstance(tokens_in, int) and isinstance(tokens_out, int)  # checked above; for the type checker
        latest = Usage(tokens_in, tokens_out, usd_to_micro(payload.get("cost_usd")) or None)
        latest = apply_prices(latest, worker.provider.prices)
        previous = worker.usage
        if previous is not None and (latest.input_tokens, latest.output_tokens) <= (
            previous.input_tokens,
            previous.output_tokens,
        ):
            return
        worker.usage = latest
        base_in, base_out, base_cost = worker.usage_base
        self.ctx.record(
            "usage",
            worker.id,
            input_tokens=base_in + latest.input_tokens,
            output_tokens=base_out + latest.output_tokens,
            cost_micro_usd=base_cost + (latest.cost_micro_usd or 0),
            source="event",
        )

    @staticmethod
    def _codex_session(worker: LiveWorker, payload: HookPayload) -> str | None:
        """codex's notify names its thread, not its session file: find it under CODEX_HOME
        (the provider's env, else $CODEX_HOME, else $HOME/.codex)."""
        env = worker.provider.env
        home = (
            env.get("CODEX_HOME")
            or os.environ.get("CODEX_HOME")
            or str(Path(env.get("HOME") or os.environ.get("HOME", "~")).expanduser() / ".codex")
        )
        found = codex_session_file(Path(home), str(payload.get("thread-id") or ""))
        return str(found) if found else None

    async def update_usage(self, worker: LiveWorker) -> None:
        """Interactive usage from the transcript: totals that only ever grow. The file is
        read where the executor has it here (a worker on a host: a mirror fetched first)."""
        transcript = worker.transcript
        if transcript is None:
            return
        try:
            source = await asyncio.to_thread(self.ctx.executor_for(worker.id).usage_file, worker.id, transcript.path)
        except CockpitError as e:  # its host left hosts.yaml: no usage to read, the rest goes on
            log.info("usage file of %s not found: %s", worker.id, e)
            return
        if worker.transcript is not transcript or not transcript.read(source):
            return
        base_in, base_out, base_cost = worker.usage_base
        latest = apply_prices(Usage(transcript.input_tokens, transcript.output_tokens), worker.provider.prices)
        previous = worker.usage
        if previous is not None and (latest.input_tokens, latest.output_tokens) <= (
            previous.input_tokens,
            previous.output_tokens,
        ):
            return
        worker.usage = latest
        self.ctx.record(
            "usage",
            worker.id,
            input_tokens=base_in + latest.input_tokens,
            output_tokens=base_out + latest.output_tokens,
            cost_micro_usd=base_cost + (latest.cost_micro_usd or 0),
            source="transcript",
        )


def payload_question(payload: HookPayload) -> str:
    """What a hook says is asked: the tool and its command or file (claude's PermissionRequest)."""
    tool = payload.get("tool_name")
    if not isinstance(tool, str):
        return str(payload.get("message") or "")
    args = found if isinstance(found := payload.get("tool_input"), dict) else {}
    what = args.get("command") or args.get("file_path") or args.get("path") or ""
    return f"permission to use {tool}" + (f": {what}" if what else "")


def question_line(provider: Any, screen: str) -> str:
    """The screen line that holds the question: one a waiting or answer pattern matches."""
    from cockpit.domain.provider import strip_ansi

    patterns = [re.compile(p) for p in [*provider.patterns.waiting, *(a.pattern for a in provider.answers.values())]]
    for line in strip_ansi(screen).splitlines():
        if any(p.search(line) for p in patterns):
            return line.strip()
    return ""


def note_signal_state(worker: LiveWorker, new: WorkerState, *, changed: bool) -> None:
    """What a hook's state means for the screen fallback. A `waiting` the screen recorded first
    and the hook then confirms (no second receipt) stays one the screen has shown, so the
    screen may still end it once the prompt is answered."""
    if changed or new != WorkerState.WAITING:
        worker.waiting_on_screen = False
    worker.waiting_by_hook = new == WorkerState.WAITING
    if changed and new == WorkerState.WAITING:  # the CLI's own word for a new prompt
        worker.answered.forget()


def note_screen_state(worker: LiveWorker, new: WorkerState) -> None:
    """After the screen changed the state: a `waiting` it recorded is one it has shown."""
    worker.waiting_by_hook = False
    worker.waiting_on_screen = new == WorkerState.WAITING


def screen_may_change(worker: LiveWorker, current: WorkerState, screen_kind: str | None) -> bool:
    """Whether a screen reading may change a state that the CLI's hooks drive.

    Without hooks (none seen yet), the screen decides everything. With hooks, the screen
    adds what hooks do not report: a prompt on screen (trust, login) makes the worker
    waiting, and a waiting prompt the screen has shown and no longer shows (answered,
    or refused: claude sends no hook then) ends waiting. Working vs idle comes from hooks.
    """
    if not worker.signals_seen:
        return True
    if screen_kind == "waiting":
        if current == WorkerState.WAITING:
            worker.waiting_on_screen = True
        return True
    if current == WorkerState.WAITING:
        return not worker.waiting_by_hook or worker.waiting_on_screen
    return False
