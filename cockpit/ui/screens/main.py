"""The main screen: the workers, the selected worker's pane and gates, the receipt stream."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from cockpit.errors import CockpitError
from cockpit.protocol import requests as req
from cockpit.protocol.replies import ReviewReply, ScreenReply
from cockpit.protocol.views import DispatchView
from cockpit.ui import format as fmt
from cockpit.ui.keys import MAIN_KEYS, bindings
from cockpit.ui.lifecycle import gone
from cockpit.ui.palette import color
from cockpit.ui.screens.actions import WorkerActions
from cockpit.ui.source import read_reply, send, unknown_op
from cockpit.ui.widgets.footer import CockpitFooter
from cockpit.ui.widgets.gates_panel import GatesPanel
from cockpit.ui.widgets.pane import HISTORY_LINES, PaneView
from cockpit.ui.widgets.receipt_list import ReceiptList
from cockpit.ui.widgets.workers_table import WorkersTable

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp

PANE_GAP_S = 0.1  # at most ~10 screen fetches a second
NEEDS = {k.action.split("(")[0]: k.needs for k in MAIN_KEYS}


class MainScreen(WorkerActions, Screen):
    CSS_PATH = "main.tcss"
    BINDINGS = [*bindings(), ("escape", "clear_filter", "")]
    AUTO_FOCUS = "#workers"

    if TYPE_CHECKING:
        app: CockpitApp  # the screen runs only inside CockpitApp

    def __init__(self) -> None:
        super().__init__()
        self.selected: str | None = None
        self.filter_text = ""
        self.review: ReviewReply | None = None
        self._seen: dict[str, tuple[str, str, str, int, int]] = {}  # what a view showed, to act on changes only
        self.gates_running: dict[str, list[str]] = {}  # started with g, not finished yet
        self.gate_runs_finished: dict[str, int] = {}  # so a reply that comes after the finish is not "running"
        self._pane_busy = self._pane_again = self._pane_timer = False
        self._pane_last = 0.0
        self._tick: Timer | None = None
        self.ready = False  # composed and mounted: the app may push data in

    def compose(self) -> ComposeResult:
        yield Static(id="topbar")
        yield Input(placeholder="filter: words in id, title, agent, host or state (enter keeps it, esc clears)", id="filter")
        yield Static(id="no-match")
        yield WorkersTable(id="workers")
        with Horizontal(id="middle"):
            yield PaneView(id="pane")
            yield GatesPanel(id="gates")
        yield ReceiptList(self.app.receipts, id="stream")
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.query_one("#workers").border_title = "workers"
        self.query_one("#stream").border_title = "receipts"
        self.query_one("#gates").border_title = "gates"
        self.query_one("#pane", PaneView).show_title()
        self.query_one("#pane", PaneView).show_message(None, self.nothing_selected())
        self.query_one("#filter", Input).display = False
        self.query_one("#no-match", Static).display = False
        self.query_one("#filter", Input).cursor_blink = False  # calm over SSH, and the same in every snapshot
        self.ready = True
        self.query_one("#workers", WorkersTable).on_views = lambda: self.show_board(rebuild=True)
        self.show_connection(self.app.connected)
        self.show_board()
        self.show_receipts(shifted=True)
        self.show_gates()
        self.app.show_startup_notes()

    # -- what the app pushes in ------------------------------------------------------------

    def visible_views(self) -> list[DispatchView]:
        views = self.app.board.ordered()
        return [v for v in views if fmt.matches(v, self.filter_text)] if self.filter_text else views

    def show_board(self, *, rebuild: bool = False) -> None:
        table = self.query_one("#workers", WorkersTable)
        visible = self.visible_views()
        table.sync(visible, self.app.source.now(), rebuild=rebuild)
        self.show_no_match(bool(self.filter_text) and not visible and bool(self.app.board.views))
        self.show_connection(self.app.connected)
        live = self.app.board.any_live
        if live and self._tick is None:
            self._tick = self.set_interval(1.0, self._tick_elapsed)
        elif not live and self._tick is not None:
            self._tick.stop()
            self._tick = None

    def show_no_match(self, empty: bool) -> None:
        line = self.query_one("#no-match", Static)
        if empty:
            line.update(
                Text(
                    f"no worker matches {self.filter_text!r}: the filter looks for words in the id, "
                    "title, agent, host, state or review (merged, approve?, stale, no changes...); esc clears",
                    style=color(self.app, "warning"),
                    no_wrap=False,
                    end="",
                )
            )
        line.display = empty

    def _tick_elapsed(self) -> None:
        self.query_one("#workers", WorkersTable).tick(self.visible_views(), self.app.source.now())

    def show_receipts(self, *, shifted: bool) -> None:
        self.query_one("#stream", ReceiptList).sync(shifted=shifted)

    def show_connection(self, connected: bool) -> None:
        board = self.app.board
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(" cockpit ", style=f"bold reverse {color(self.app, 'primary')}")
        mark = ("● connected", "success") if connected else ("○ connecting…", "warning")
        text.append(f" {mark[0]}", style=color(self.app, mark[1]))
        count = len(board.views)
        text.append(f"  {count} worker{'s' if count != 1 else ''}")
        if board.waiting:
            text.append(f"  {board.waiting} waiting ", style=f"bold reverse {color(self.app, 'warning')}")
        if self.filter_text:
            text.append(f"  filter: {self.filter_text}", style=color(self.app, "accent"))
        text.append(f"  {self.app.source.label}", style=color(self.app, "foreground-muted"))
        self.query_one("#topbar", Static).update(text)

    def restyle(self) -> None:
        self.show_board(rebuild=True)
        self.query_one("#stream", ReceiptList).restyle()
        self.show_gates()

    def view_changed(self, view: DispatchView) -> None:
        if view.id != self.selected:
            return
        gates = None if view.gates is None else [g.model_dump(mode="json") for g in view.gates]
        key = (view.state, view.review, json.dumps(gates, sort_keys=True, default=str), view.diff_added, view.diff_removed)
        if self._seen.get(view.id) != key:
            self._seen[view.id] = key
            self.refresh_bindings()
            self.fetch_review()
            self.request_pane()

    def gates_started(self, dispatch_id: str, names: list[str]) -> None:
        self.gates_running[dispatch_id] = names
        if dispatch_id == self.selected:
            self.show_gates()

    def gates_finished(self, dispatch_id: str) -> None:
        self.gate_runs_finished[dispatch_id] = self.gate_runs_finished.get(dispatch_id, 0) + 1
        self.gates_running.pop(dispatch_id, None)
        if dispatch_id == self.selected:
            self.fetch_review()

    # -- selection ---------------------------------------------------------------------------

    @on(WorkersTable.Selected)
    def _selected(self, event: WorkersTable.Selected) -> None:
        self.selected = event.dispatch_id
        self.review = None
        pane = self.query_one("#pane", PaneView)
        view = self.app.board.get(self.selected)
        pane.label = f"output: {self.selected}" if self.selected else "output"
        if view is not None and (host := fmt.host_of(view)) != fmt.LOCAL:
            pane.label += f" on {host}"  # its terminal comes over ssh
        if view is None:
            pane.show_message(None, self.nothing_selected())
        else:
            pane.show_message(self.selected, "…")
            self.request_pane()
            self.fetch_review()
        self.show_gates()
        self.refresh_bindings()

    def nothing_selected(self) -> str:
        if not self.app.board.views:
            return "No workers yet. Press n to dispatch one; ? lists every key."
        return "no worker selected"

    @property
    def selected_view(self) -> DispatchView | None:
        return self.app.board.get(self.selected)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return fmt.applies(NEEDS.get(action, ""), self.selected_view)

    # -- the live pane -------------------------------------------------------------------------

    def output_arrived(self, dispatch_id: str) -> None:
        if dispatch_id == self.selected:
            self.request_pane()

    def request_pane(self) -> None:
        """Fetch the selected worker's screen soon: one fetch in flight, at most ~10 a second."""
        if self._pane_busy:
            self._pane_again = True
            return
        wait = self._pane_last + PANE_GAP_S - time.monotonic()
        if wait > 0:
            if not self._pane_timer:
                self._pane_timer = True
                self.set_timer(wait, self._pane_due)
            return
        self._pane_busy = True
        self._fetch_pane(self.selected)

    def _pane_due(self) -> None:
        self._pane_timer = False
        self.request_pane()

    @work(group="pane")
    async def _fetch_pane(self, dispatch_id: str | None) -> None:
        try:
            if dispatch_id is None:
                return
            screen: ScreenReply | None = None
            error: str | None = None
            try:
                screen = read_reply(ScreenReply, await send(self.app.source, req.Screen(id=dispatch_id, history=HISTORY_LINES)))
            except CockpitError as exc:
                error = exc.message
            if gone(self) or dispatch_id != self.selected:
                return
            pane = self.query_one("#pane", PaneView)
            if screen is not None and screen.available:
                pane.show_capture(dispatch_id, screen.text)
            else:
                view = self.app.board.get(dispatch_id)
                why = error or f"the worker is {view.state if view is not None else 'gone'}: no terminal to show"
                pane.show_message(dispatch_id, f"{why}  (d shows its diff)")
        finally:
            self._pane_busy = False
            self._pane_last = time.monotonic()
            if self._pane_again:
                self._pane_again = False
                self.request_pane()

    # -- gates -------------------------------------------------------------------------------

    @work(group="review", exclusive=True)
    async def fetch_review(self) -> None:
        dispatch_id = self.selected
        if dispatch_id is None or "review" in self.app.unsupported:
            self.show_gates()
            return
        review: ReviewReply | None
        try:
            review = read_reply(ReviewReply, await send(self.app.source, req.Review(id=dispatch_id)))
        except CockpitError as exc:
            if unknown_op(exc):
                self.app.unsupported.add("review")
            review = None
        if gone(self):
            return
        if dispatch_id == self.selected:
            self.review = review
            self.show_gates()

    def show_gates(self) -> None:
        running = self.gates_running.get(self.selected or "", [])
        self.query_one("#gates", GatesPanel).show(self.selected_view, self.review, running)

    # -- filter ------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.show_board(rebuild=True)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#no-match", Static).display = False
        self.query_one("#workers").focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display or self.filter_text:
            box.value = ""
            box.display = False
            self.filter_text = ""
            self.show_board(rebuild=True)
            self.query_one("#workers").focus()

    # -- attach ------------------------------------------------------------------------------

    async def action_attach(self) -> None:
        view = self.selected_view
        if view is None:
            return
        source = self.app.source
        try:
            # Off the event loop: for a worker on an SSH host this asks the host (over ssh), and
            # a host that went away must not freeze the screen for ssh's connect timeout.
            await asyncio.to_thread(source.can_attach, view.id)
        except CockpitError as exc:
            self.app.notify(exc.message, title="attach", severity="error", markup=False)
            return
        try:
            with self.app.suspend():
                code = source.attach(view.id)
        except SuspendNotSupported:
            self.app.notify(
                f"this terminal cannot hand over the screen: run `cockpit attach {view.id}` in a shell",
                title="attach",
                severity="warning",
                markup=False,
            )
            return
        except CockpitError as exc:
            self.app.notify(exc.message, title="attach", severity="error", markup=False)
            return
        if code != 0:
            how = "ssh -t" if fmt.host_of(view) != fmt.LOCAL else "tmux attach"
            self.app.notify(f"{how} ended with code {code}", title="attach", severity="warning")
        self.app.refresh(layout=True)
        self.request_pane()
