"""Notifications that reach the operator without the TUI open.

The supervisor watches its own receipts (the bus) and, on a worker waiting, a permission
request, a promotion ready, a failure, a timeout or a budget exceeded, tells the operator three ways:
- the user's command (`notify: {command: "..."}` in ~/.config/cockpit/config.yaml), run
  with `sh -c`, one JSON object on stdin: kind, dispatch, title, text, time;
- `notify-send`, where it is installed;
- a `notify` event on the channel, which every attached TUI writes to its terminal as
  OSC 9 and OSC 777 (so it works over SSH).
Rate-limited (per kind and dispatch, and overall); a failing or slow command is logged
and never blocks the supervisor. Every notification sent is receipted (`notification_sent`).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypedDict

from cockpit.domain.receipt import Receipt
from cockpit.errors import UsageError
from cockpit.protocol.events import Event, Notified, ReceiptAppended
from cockpit.service.channel import OpHandler
from cockpit.service.context import log
from cockpit.service.extensions import Extension
from cockpit.service.settings import NotifyConfig, load_user_config

TITLES = {
    "waiting": "worker waiting",
    "permission": "permission requested",
    "promotion_ready": "ready to approve",
    "failed": "worker failed",
    "timeout": "worker timed out",
    "budget": "budget exceeded",
}


class NotifyPayload(TypedDict):
    """What the user's notify command reads on stdin (one JSON object)."""

    kind: str  # waiting, permission, promotion_ready, failed, timeout, budget
    dispatch: str | None
    title: str
    text: str
    time: str
    receipt_seq: int


def event_for(kind: str, data: Mapping[str, object]) -> tuple[str, str] | None:
    """(kind, text) when a receipt of this kind, with this data, is something the operator
    should hear about. Any kind's data (it is read only for the kinds named here)."""
    if kind == "status_changed" and data.get("to") == "waiting":
        return "waiting", str(data.get("excerpt") or data.get("reason") or "the agent is waiting for an answer")
    if kind == "review_changed" and data.get("to") == "awaiting_approval":
        return "promotion_ready", "every gate passed: `cockpit review` then `cockpit approve`"
    if kind == "exited" and data.get("code") not in (0, None):
        return "failed", f"the agent exited with code {data.get('code')}" + (f": {data['error']}" if data.get("error") else "")
    if kind == "lost":
        return "failed", "the worker was lost (its tmux server is gone)"
    if kind == "timed_out":
        return "timeout", "the worker ran past its timeout and was stopped"
    if kind == "budget_exceeded":
        action = {"pause": "paused", "stop": "stopped"}.get(str(data.get("action")), "not running")
        return "budget", f"{data.get('text') or 'its budget is spent'}: the worker was {action}"
    if kind == "permission_requested":
        what = data.get("command") or data.get("path") or ""
        return "permission", f"{data.get('tool', '?')} {what}".strip() + f" (request {data.get('request')})"
    return None


class RateLimit:
    def __init__(self, min_interval_s: float, max_per_minute: int) -> None:
        self.min_interval_s = min_interval_s
        self.max_per_minute = max_per_minute
        self._last: dict[tuple[str, str | None], float] = {}
        self._sent: deque[float] = deque()

    def allow(self, kind: str, dispatch: str | None, now: float) -> bool:
        while self._sent and now - self._sent[0] > 60:
            self._sent.popleft()
        last = self._last.get((kind, dispatch))
        if last is not None and now - last < self.min_interval_s:
            return False
        if len(self._sent) >= self.max_per_minute:
            return False
        self._last[(kind, dispatch)] = now
        self._sent.append(now)
        return True


class NotifyService(Extension):
    """A supervisor extension: no requests of its own, a task that follows the receipts."""

    def __init__(self) -> None:
        self.ops: dict[str, OpHandler] = {}
        self.config = NotifyConfig()
        self._children: set[asyncio.Task[None]] = set()

    def bind(self, sup: Any) -> None:
        self.sup = sup
        self.ctx = sup.ctx
        try:
            self.config = load_user_config().notify
        except UsageError as exc:  # a broken user file must not stop the supervisor: say so, notify nothing
            log.warning("notifications are off: %s", exc)
            self.config = NotifyConfig(desktop=False, terminal=False)
        self.limit = RateLimit(self.config.min_interval_s, self.config.max_per_minute)
        self.notify_send = shutil.which("notify-send") if self.config.desktop else None

    async def on_start(self) -> None:
        self.ctx.bus.listeners.append(self._on_event)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, ReceiptAppended):  # after the publishing loop: consider() appends receipts itself
            asyncio.get_running_loop().call_soon(self._consider_safely, event.receipt)

    def _consider_safely(self, receipt: Receipt) -> None:
        try:
            self.consider(receipt)
        except Exception:  # noqa: BLE001 never let one odd receipt end notifications (logged with its traceback)
            log.exception("notification failed")

    def consider(self, receipt: Receipt) -> None:
        found = event_for(receipt.kind, receipt.data)
        if found is None:
            return
        kind, text = found
        dispatch = receipt.dispatch
        if not self.limit.allow(kind, dispatch, time.monotonic()):
            return
        d = self.ctx.ws.store.dispatch(dispatch) if dispatch else None
        title = f"cockpit: {TITLES[kind]}" + (f" ({dispatch})" if dispatch else "")
        body = f"{d.title}: {text}" if d is not None and d.title else text
        payload = NotifyPayload(
            kind=kind,
            dispatch=dispatch,
            title=title,
            text=body,
            time=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            receipt_seq=receipt.seq,
        )
        channels = []
        if self.config.terminal and self.ctx.terminal_clients:  # attached TUIs
            self.ctx.bus.publish(Notified(title=payload["title"], text=payload["text"], kind=kind, dispatch=dispatch))
            channels.append("terminal")
        if self.config.command:
            self._spawn(self._run_command(self.config.command, payload))
            channels.append("command")
        if self.notify_send:
            self._spawn(self._run_command_argv([self.notify_send, "--app-name=cockpit", title, body]))
            channels.append("desktop")
        if not channels:  # nowhere to send it (no command, no notify-send, no TUI): nothing was sent
            return
        self.ctx.record("notification_sent", dispatch, event=kind, title=title, channels=channels, receipt_seq=receipt.seq)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._children.add(task)
        task.add_done_callback(self._children.discard)

    async def _run_command(self, command: str, payload: NotifyPayload) -> None:
        data = (json.dumps(payload, ensure_ascii=False) + "\n").encode("utf-8")
        await self._run(["sh", "-c", command], data, f"notify command {command!r}")

    async def _run_command_argv(self, argv: list[str]) -> None:
        await self._run(argv, b"", "notify-send")

    async def _run(self, argv: list[str], data: bytes, what: str) -> None:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            log.warning("%s could not start: %s", what, exc)
            return
        try:
            _, err = await asyncio.wait_for(proc.communicate(data), self.config.timeout_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            log.warning("%s took longer than %s s and was stopped", what, self.config.timeout_s)
            return
        if proc.returncode != 0:
            last = (err or b"").decode(errors="replace").strip().splitlines()[-1:] or [""]
            log.warning("%s exited %s: %s", what, proc.returncode, last[0])


def osc_notification(title: str, text: str) -> str:
    """The bytes a terminal turns into a desktop notification: OSC 9 (iTerm2, Windows Terminal,
    kitty, WezTerm...) and OSC 777 (rxvt, foot, Ghostty, VTE). Control characters are dropped so
    a title cannot end the sequence early; `;` separates OSC 777's fields, so it is replaced."""

    def clean(value: str, limit: int) -> str:
        return "".join(ch for ch in value if ch.isprintable())[:limit]

    title, text = clean(title, 120), clean(text, 400)
    return f"\x1b]9;{title}: {text}\x07\x1b]777;notify;{title.replace(';', ',')};{text.replace(';', ',')}\x07"
