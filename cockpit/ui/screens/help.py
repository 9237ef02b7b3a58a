"""Every key of the main screen, from the same table as the bindings and docs/tui.md."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from cockpit.ui.keys import DIFF_KEYS, HOSTS_KEYS, MAIN_KEYS


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "close")]

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True, padding=(0, 1))
        table.add_column("key", no_wrap=True, style="bold")
        table.add_column("what it does", ratio=1)
        for key in MAIN_KEYS:
            table.add_row(key.display, key.help)
        table.add_row("ctrl+p", "Command palette: every action above, and the theme")
        table.add_row("", "")
        table.add_row("in the diff (d)", "")
        for key in DIFF_KEYS:
            table.add_row(key.display, key.help)
        table.add_row("", "")
        table.add_row("in the hosts view (shift+h)", "")
        for key in HOSTS_KEYS:
            table.add_row(key.display, key.help)
        with VerticalScroll(id="help"):
            yield Static("Keys (esc closes)", id="help-title")
            yield Static(table)
