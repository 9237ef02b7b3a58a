"""The whole ledger, paged: opens at the latest receipt, reads only the pages it shows."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from cockpit.ui.widgets.footer import CockpitFooter
from cockpit.ui.widgets.receipt_list import ReceiptList


class ReceiptsScreen(Screen[None]):
    CSS_PATH = "receipts.tcss"
    BINDINGS = [Binding("escape,q,r", "app.pop_screen", "back"),
                Binding("home", "first", "oldest"), Binding("end", "last", "latest")]

    def compose(self) -> ComposeResult:
        self.pages = self.app.source.pages()
        self.pages.refresh()
        yield Static(id="receipts-title")
        yield ReceiptList(self.pages, follow=True, id="ledger")
        yield CockpitFooter()

    def on_mount(self) -> None:
        self.show_title()
        self.query_one("#ledger").focus()

    def show_title(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(" receipts ", style="bold reverse")
        text.append(f"  {self.pages.count:,} in the ledger; pages are read as you scroll (home: oldest, end: latest)")
        self.query_one("#receipts-title", Static).update(text)

    def receipts_arrived(self) -> None:
        self.pages.refresh()
        self.query_one("#ledger", ReceiptList).sync()
        self.show_title()

    def action_first(self) -> None:
        self.query_one("#ledger", ReceiptList).scroll_home(animate=False)

    def action_last(self) -> None:
        self.query_one("#ledger", ReceiptList).scroll_end(animate=False)
