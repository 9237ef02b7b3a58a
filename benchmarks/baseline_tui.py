"""The TUI benchmarks' baseline: the smallest Textual app that paints a header, a line and a table.

`python -m benchmarks.baseline_tui` in the same terminal size as `cockpit ui`: what any
Textual app costs to start and to keep open, so the ratio shows what cockpit adds.
It reads nothing and connects to nothing; `q` quits.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

TITLE = "baseline task"


class BaselineApp(App[None]):
    BINDINGS: ClassVar = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static("hello")
        yield DataTable(id="table", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one("#table", DataTable)
        table.add_columns("STATE", "ID", "TITLE")
        table.add_row("idle", "0000000000", TITLE)


if __name__ == "__main__":
    BaselineApp().run()
