"""The permission inbox: every worker's pending tool requests in one list, the selected
request's worker screen below it, and one key to decide each (`y` allow, `n` deny, `A`
allow the same tool for the rest of that dispatch). Decisions go through the supervisor
like `cockpit permissions allow|deny`, with the operator's identity, so they are receipted
the same way; the list follows the ledger (each permission receipt refreshes it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from cockpit.errors import CockpitError
from cockpit.protocol import requests as req
from cockpit.protocol.replies import PendingPermission, ScreenReply
from cockpit.ui.lifecycle import gone
from cockpit.ui.source import read_reply, send
from cockpit.ui.widgets.footer import CockpitFooter
from cockpit.ui.widgets.pane import HISTORY_LINES, PaneView

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp

AGE_TICK_S = 1.0  # ages count up while the operator reads


def request_summary(row: PendingPermission) -> str:
    """What the worker wants to do, in one line: the command, else the path."""
    return row.command or row.path or ""


class InboxScreen(Screen[None]):
    CSS_PATH = "inbox.tcss"
    BINDINGS = [
        Binding("escape,q,i", "app.pop_screen", "back"),
        Binding("y", "decide('allow')", "allow"),
        Binding("n", "decide('deny')", "deny"),
        Binding("A", "decide('allow', True)", "allow for dispatch", key_display="shift+a"),
    ]
    AUTO_FOCUS = "#requests"

    if TYPE_CHECKING:
        app: CockpitApp  # the screen runs only inside CockpitApp

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[PendingPermission] = []
        self.selected: str | None = None  # request id

    def compose(self) -> ComposeResult:
        yield Static(id="inbox-title")
        yield DataTable(id="requests", cursor_type="row", zebra_stripes=True)
        yield PaneView(id="inbox-pane")
        yield CockpitFooter()

    def on_mount(self) -> None:
        table = self.query_one("#requests", DataTable)
        table.add_columns("request", "worker", "tool", "age", "wants to")
        table.border_title = "pending permission requests"
        self.query_one("#inbox-pane", PaneView).show_message(None, "no request selected")
        self.refresh_requests()
        self.set_interval(AGE_TICK_S, self.refresh_requests)

    # -- the list ----------------------------------------------------------------------------

    def receipts_arrived(self) -> None:
        """The app calls this when receipts arrive: a request or a decision changes the list."""
        self.refresh_requests()

    @work(group="inbox", exclusive=True)
    async def refresh_requests(self) -> None:
        rows = await self.app.ask_list(PendingPermission, req.Permissions())
        if rows is None or gone(self):  # the request failed (the app has said why), or nobody is left to show it
            return
        self.show_rows(rows)

    def show_rows(self, rows: list[PendingPermission]) -> None:
        self.rows = rows
        table = self.query_one("#requests", DataTable)
        keep = self.selected
        table.clear()
        for row in rows:
            table.add_row(
                row.request,
                row.dispatch,
                row.tool or "",
                f"{row.age_s:.0f}s",
                Text(request_summary(row), no_wrap=True, overflow="ellipsis"),
                key=row.request,
            )
        ids = [row.request for row in rows]
        if keep in ids:
            table.move_cursor(row=ids.index(keep), animate=False)
        self._select(ids[table.cursor_row] if ids else None)
        self.show_title()

    def show_title(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(" permissions ", style="bold reverse")
        count = len(self.rows)
        if count:
            text.append(f"  {count} pending  ·  y allow  ·  n deny  ·  shift+a allow this tool for the rest of the dispatch")
        else:
            text.append("  no pending requests: workers ask here when .cockpit/policy.yaml says ask")
        self.query_one("#inbox-title", Static).update(text)

    @on(DataTable.RowHighlighted, "#requests")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._select(str(event.row_key.value) if event.row_key is not None else None)

    def _select(self, request_id: str | None) -> None:
        changed = request_id != self.selected
        self.selected = request_id
        if changed:
            self.fetch_pane()

    def _selected_row(self) -> PendingPermission | None:
        return next((row for row in self.rows if row.request == self.selected), None)

    # -- the worker's screen ---------------------------------------------------------------

    @work(group="inbox-pane", exclusive=True)
    async def fetch_pane(self) -> None:
        pane = self.query_one("#inbox-pane", PaneView)
        row = self._selected_row()
        if row is None:
            pane.show_message(None, "no request selected")
            return
        dispatch_id = row.dispatch
        pane.label = f"{dispatch_id} · {row.tool or ''}"
        screen: ScreenReply | None = None
        error: str | None = None
        try:
            screen = read_reply(ScreenReply, await send(self.app.source, req.Screen(id=dispatch_id, history=HISTORY_LINES)))
        except CockpitError as exc:
            error = exc.message
        if gone(self):
            return
        if screen is not None and screen.available:
            pane.show_capture(dispatch_id, screen.text)
        else:
            pane.show_message(dispatch_id, error or "the worker has no terminal to show (headless)")

    # -- deciding ----------------------------------------------------------------------------

    @work(group="inbox-decide")
    async def action_decide(self, decision: str, always: bool = False) -> None:
        row = self._selected_row()
        if row is None:
            self.app.notify("no pending request to decide", severity="warning")
            return
        result = await self.app.request(
            req.PermissionDecide(
                request=row.request, decision=decision, always_for_dispatch=always, identity=self.app.source.identity()
            )
        )
        if result is not None:
            scope = " (this tool, for the rest of the dispatch)" if always else ""
            self.app.notify(
                f"{decision} {row.request} of {row.dispatch}{scope}",
                title="Permission",
                markup=False,
            )
        if not gone(self):
            self.refresh_requests()
