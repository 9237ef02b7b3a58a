"""The cockpit TUI: a client of the supervisor. Quitting it stops nothing; two of them at
once show the same live state, because both only read the supervisor's events.

Everything arrives as events (no polling), each posted as a Textual message
(service_messages.py): `DispatchUpdated` views update the board, `ReceiptArrived` feeds
the stream, `WorkerOutput` makes the selected worker's pane fetch its screen (at most ~10
times a second). Bursts are coalesced into one repaint per ~50 ms.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from pydantic import BaseModel
from textual.app import App
from textual.notifications import Notification, Notify
from textual.theme import Theme

from cockpit.errors import CockpitError
from cockpit.protocol import requests as req
from cockpit.protocol.errors import is_unknown_op
from cockpit.protocol.views import DispatchView
from cockpit.service.notify import osc_notification
from cockpit.service.ui_support import load_ui_settings, save_ui_settings
from cockpit.ui.board import Alert, Board, still_true
from cockpit.ui.commands import CockpitCommands
from cockpit.ui.screens.main import MainScreen
from cockpit.ui.service_messages import (
    DispatchUpdated,
    GatesDone,
    ReceiptArrived,
    TerminalNotification,
    WorkerOutput,
    message_for,
)
from cockpit.ui.source import Source, read_replies, read_reply, send
from cockpit.ui.themes import DEFAULT_THEME, ThemeSet, load_themes
from cockpit.ui.widgets.receipt_list import ReceiptBuffer

log = logging.getLogger("cockpit.ui")
FLUSH_S = 0.05
STREAM_RECEIPTS = 300
RECONNECT_MAX_S = 10.0
R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")


class CockpitApp(App[int]):
    TITLE = "cockpit"
    CSS_PATH = "app.tcss"
    MODES = {"main": MainScreen}
    DEFAULT_MODE = "main"
    COMMANDS = App.COMMANDS | {CockpitCommands}  # the keys, then Textual's own (Theme, Quit, ...)

    def __init__(
        self, source: Source, *, theme: str | None = None, themes: ThemeSet | None = None, remember_theme: bool = True
    ) -> None:
        super().__init__()
        self.source = source
        self.board = Board()
        self.receipts = ReceiptBuffer(STREAM_RECEIPTS)
        self.themes = themes or load_themes()
        self.requested_theme = theme
        self.remember_theme = remember_theme
        self.connected = False
        self.unsupported: set[str] = set()  # requests this supervisor does not know
        self._flush_pending = False
        self._board_dirty = False
        self._receipts_dirty = False
        self._receipts_shifted = False
        self._toasts: dict[str, tuple[Alert, Notification]] = {}  # per worker: the news on screen now
        self.startup_notes: list[str] = []  # told once the main screen is up (a toast raised earlier is never drawn)

    # -- start ------------------------------------------------------------------------

    @property
    def main(self) -> MainScreen | None:
        """The main screen while it shows; None before it is ready and once the app quits (its
        widgets are being removed then: news that arrives is for nobody, cockpit/ui/lifecycle.py)."""
        if not self.is_running:
            return None
        screen = self.screen_stack[0] if self.screen_stack else None
        return screen if isinstance(screen, MainScreen) and screen.ready else None

    def on_mount(self) -> None:
        for theme in self.themes.themes.values():
            self.register_theme(theme)
        remembered, problem = load_ui_settings()
        if problem:
            self.startup_notes.append(problem)
        wanted = self.requested_theme or remembered.theme or DEFAULT_THEME
        self.theme = wanted if wanted in self.available_themes else DEFAULT_THEME
        if wanted != self.theme:
            self.startup_notes.append(
                f"there is no theme {wanted!r}, so cockpit uses {DEFAULT_THEME!r}; pick one "
                f"with ctrl+p, Theme (themes: {', '.join(self.themes.names())})"
            )
        self.startup_notes += self.themes.problems
        if self.main is not None:
            self.show_startup_notes()
        if self.requested_theme and self.remember_theme:
            save_ui_settings(theme=self.theme)
        self.theme_changed_signal.subscribe(self, self._on_theme_changed)
        self.run_worker(self._stream(), exclusive=True, group="stream", name="supervisor events")

    def show_startup_notes(self) -> None:
        for note in self.startup_notes:
            self.notify(note, title="Theme", severity="warning", markup=False, timeout=10)
        self.startup_notes = []

    async def on_unmount(self) -> None:
        await self.source.close()

    def _on_theme_changed(self, theme: Theme) -> None:
        if self.remember_theme:
            save_ui_settings(theme=theme.name)
        if self.main is not None:
            self.main.restyle()

    def syntax_style(self) -> str:
        return self.themes.syntax.get(self.theme, "monokai" if self.current_theme.dark else "friendly")

    # -- requests: every service error becomes a notification ------------------------------

    async def request(self, request: req.Args) -> object | None:
        """Ask the supervisor; on failure notify (never raise) and return None."""
        return await self._asking(request, lambda result: result)

    async def ask(self, reply: type[R], request: req.Args) -> R | None:
        """`request`, its answer read as the op's reply model (cockpit/protocol/replies.py)."""
        return await self._asking(request, lambda result: read_reply(reply, result))

    async def ask_list(self, reply: type[R], request: req.Args) -> list[R] | None:
        """`request` for an op that answers a list (`providers`, `skills`, `permissions`)."""
        return await self._asking(request, lambda result: read_replies(reply, result))

    async def _asking(self, request: req.Args, read: Callable[[object], T]) -> T | None:
        op = request.op
        if op in self.unsupported:
            self.notify(f"this supervisor does not offer {op!r} yet", title="Not available", severity="warning")
            return None
        try:
            result = await send(self.source, request)
            if not self.is_running:  # quitting: the asker's widgets may be gone (cockpit/ui/lifecycle.py)
                return None
            return read(result)
        except CockpitError as exc:
            if not self.is_running:
                return None
            if is_unknown_op(exc):
                self.unsupported.add(op)
            message = exc.message + (f"\n{exc.hint}" if exc.hint else "")
            self.notify(message, title=f"{op} failed", severity="error", markup=False, timeout=8)
        except Exception as exc:  # a bug below us must not take the screen down
            log.exception("request %s failed", op)
            self.notify(f"{type(exc).__name__}: {exc}", title=f"{op} failed", severity="error", markup=False)
        return None

    # -- the event stream ---------------------------------------------------------------------

    async def _stream(self) -> None:
        delay = 0.5
        while True:
            events = self.source.events()  # an async generator: its own iterator, closed below
            try:
                await events.__anext__()  # "hello": subscribed, so nothing from here on is missed
                self._set_connected(True)
                latest = await asyncio.to_thread(self.source.pages().latest, STREAM_RECEIPTS)
                self.receipts.items.clear()
                for receipt in latest:
                    self.receipts.add(receipt)
                self._receipts_dirty = self._receipts_shifted = True
                views = read_replies(DispatchView, await send(self.source, req.Status()))
                self._alert(self.board.load(views))
                self._board_dirty = True
                self._schedule_flush()
                delay = 0.5
                async for event in events:
                    if (message := message_for(event)) is not None:
                        self.post_message(message)
            except asyncio.CancelledError:
                raise
            except CockpitError as exc:
                self.notify(exc.message, title="Supervisor", severity="error", markup=False)
            except Exception as exc:
                log.exception("event stream failed")
                self.notify(f"{type(exc).__name__}: {exc}", title="Supervisor", severity="error", markup=False)
            finally:
                await events.aclose()
            self._set_connected(False)
            await asyncio.sleep(delay)  # back off, then reconnect (the client restarts the supervisor)
            delay = min(delay * 2, RECONNECT_MAX_S)

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected
        if self.main is not None:
            self.main.show_connection(connected)

    # -- the supervisor's events, as messages (service_messages.py) ----------------------------

    def on_dispatch_updated(self, message: DispatchUpdated) -> None:
        self._alert(self.board.apply(message.view))  # also drops toasts this change made untrue
        self._board_dirty = True
        self._schedule_flush()
        if self.main is not None:
            self.main.view_changed(message.view)

    def on_receipt_arrived(self, message: ReceiptArrived) -> None:
        if len(self.receipts.items) == self.receipts.items.maxlen:
            self._receipts_shifted = True
        if self.receipts.add(message.receipt):
            self._receipts_dirty = True
            self._schedule_flush()

    def on_worker_output(self, message: WorkerOutput) -> None:
        if self.main is not None:
            self.main.output_arrived(message.dispatch_id)

    def on_gates_done(self, message: GatesDone) -> None:
        if self.main is not None:
            self.main.gates_finished(message.dispatch_id)

    def on_terminal_notification(self, message: TerminalNotification) -> None:
        if self._driver is not None and not self.is_headless:
            # The supervisor's notification, to this terminal (OSC 9 / OSC 777; works over SSH).
            self._driver.write(osc_notification(message.title, message.text))

    def _alert(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            note = Notification(alert.message, alert.title, alert.severity, 10, markup=False)  # type: ignore
            if alert.dispatch:
                self._dismiss(alert.dispatch)  # one toast per worker: the newest news replaces the old
                self._toasts[alert.dispatch] = (alert, note)
            self.post_message(Notify(note))
            if alert.bell:
                self.bell()
        self._drop_stale_toasts()

    def _drop_stale_toasts(self) -> None:
        """A toast goes as soon as what it announced stops being true (the worker was answered,
        its review moved on, it left the board), instead of lingering for its full timeout."""
        for dispatch_id, (alert, _note) in list(self._toasts.items()):
            if not still_true(alert, self.board.get(dispatch_id)):
                self._dismiss(dispatch_id)

    def news_seen(self, dispatch_id: str) -> None:
        """The operator is acting on this worker: its toast has done its job."""
        self._dismiss(dispatch_id)

    def _dismiss(self, dispatch_id: str) -> None:
        _alert, note = self._toasts.pop(dispatch_id, (None, None))
        if note is not None and note in self._notifications:
            self._unnotify(note)  # Textual has no public way to take back one notification

    def _schedule_flush(self) -> None:
        if not self._flush_pending:
            self._flush_pending = True
            self.set_timer(FLUSH_S, self._repaint)

    def _repaint(self) -> None:
        # Not `_flush`: that name is Textual's own (App._flush writes the log), and overriding it
        # broke logging ("--- Logging error ---").
        self._flush_pending = False
        main = self.main
        if main is None:
            return
        if self._board_dirty:
            self._board_dirty = False
            main.show_board()
        if self._receipts_dirty:
            main.show_receipts(shifted=self._receipts_shifted)
            self._receipts_dirty = self._receipts_shifted = False
            # Not before the screen's on_mount: a screen just pushed has no columns yet (the
            # inbox crashed adding a row to a table without them), and it loads its data itself.
            hook = getattr(self.screen, "receipts_arrived", None)
            if hook is not None and self.screen.is_mounted:
                hook()
