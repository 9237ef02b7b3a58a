"""The diff view's body: a StripView with a line cursor and a selection (for comments)."""

from __future__ import annotations

from rich.style import Style
from textual.binding import Binding
from textual.strip import Strip

from cockpit.ui.diff_comments import RowRef
from cockpit.ui.widgets.strip_view import StripView

SELECTED = Style(reverse=True)


class DiffBody(StripView):
    BINDINGS = [
        Binding("down,j", "move(1)", "line down", show=False),
        Binding("up,k", "move(-1)", "line up", show=False),
        Binding("shift+down,J", "extend(1)", "select down", show=False),
        Binding("shift+up,K", "extend(-1)", "select up", show=False),
        Binding("pagedown", "move(20)", show=False),
        Binding("pageup", "move(-20)", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.refs: list[RowRef] = []
        self.cursor = 0
        self.mark: int | None = None  # the other end of a selection

    def set_rows(self, strips: list[Strip], refs: list[RowRef]) -> None:
        self.refs = refs
        self.cursor = min(self.cursor, max(0, len(strips) - 1))
        self.set_strips(strips)
        self.refresh()

    def selection(self) -> tuple[int, int]:
        other = self.cursor if self.mark is None else self.mark
        return min(self.cursor, other), max(self.cursor, other)

    def go_to(self, row: int) -> None:
        self.mark = None
        self._place(row)

    def _place(self, row: int) -> None:
        self.cursor = max(0, min(row, len(self.strips) - 1))
        top, height = int(self.scroll_y), max(1, self.size.height)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)
        self.refresh()

    def action_move(self, rows: int) -> None:
        self.mark = None
        self._place(self.cursor + rows)

    def action_extend(self, rows: int) -> None:
        if self.mark is None:
            self.mark = self.cursor
        self._place(self.cursor + rows)

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        lo, hi = self.selection()
        index = int(self.scroll_y) + y
        if self.has_focus and lo <= index <= hi and index < len(self.strips):
            return strip.apply_style(SELECTED)
        return strip
