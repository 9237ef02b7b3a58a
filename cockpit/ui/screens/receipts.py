"""The whole ledger, like a log viewer: one line per receipt saying what matters for its kind,
the highlighted receipt's whole record below, lines scroll sideways, and `[` / `]` step
through one dispatch's receipts. It opens at the latest receipt (or at a dispatch's first
one) and reads only the pages it shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from cockpit.ui.receipt_lines import pretty
from cockpit.ui.widgets.footer import CockpitFooter
from cockpit.ui.widgets.ledger_list import LedgerList

if TYPE_CHECKING:
    from cockpit.ui.app import CockpitApp


class ReceiptsScreen(Screen[None]):
    CSS_PATH = "receipts.tcss"
    BINDINGS = [Binding("escape,q,r", "app.pop_screen", "back"), Binding("d", "toggle_detail", "detail")]

    if TYPE_CHECKING:
        app: CockpitApp  # the screen runs only inside CockpitApp

    def __init__(self, *, dispatch: str | None = None, seq: int | None = None) -> None:
        super().__init__()
        self.dispatch = dispatch
        self.start_seq = seq

    def compose(self) -> ComposeResult:
        self.pages = self.app.source.pages()
        self.pages.refresh()
        yield Static(id="receipts-title")
        yield LedgerList(self.pages, id="ledger")
        with VerticalScroll(id="receipt-detail"):
            yield Static(id="receipt-record")
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.show_title()
        ledger = self.query_one("#ledger", LedgerList)
        ledger.focus()
        self.query_one("#receipt-detail").border_title = "record"
        if self.start_seq is not None:
            index = self.pages.index_of_seq(self.start_seq)
            if index is not None:
                self.call_after_refresh(ledger.move_to, index)
                return
        self.call_after_refresh(ledger.action_last)

    def show_title(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(" receipts ", style="bold reverse")
        text.append(f"  {self.pages.count:,} in the ledger; pages are read as you scroll")
        if self.dispatch:
            text.append(f"  ·  {self.dispatch}: [ and ] step through its receipts")
        self.query_one("#receipts-title", Static).update(text)

    @on(LedgerList.Highlighted)
    def _show_record(self, event: LedgerList.Highlighted) -> None:
        record = self.query_one("#receipt-record", Static)
        if event.receipt is None:
            record.update("")
            return
        record.update(
            Syntax(pretty(event.receipt), "json", theme=self.app.syntax_style(), word_wrap=True, background_color="default")
        )
        self.query_one("#receipt-detail").border_title = f"record #{event.receipt.seq} ({event.receipt.kind})"

    def action_toggle_detail(self) -> None:
        detail = self.query_one("#receipt-detail")
        detail.display = not detail.display

    def receipts_arrived(self) -> None:
        self.pages.refresh()
        self.query_one("#ledger", LedgerList).sync()
        self.show_title()
