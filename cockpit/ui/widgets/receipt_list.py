"""Receipts as rows, rendered only when visible (Line API). The same widget shows the live
stream (a bounded buffer of the latest) and the whole ledger (pages read on demand)."""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Protocol

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cockpit.domain.receipt import Receipt
from cockpit.ui.palette import color
from cockpit.ui.receipt_lines import gist
from cockpit.ui.widgets.strip_view import text_to_strip

KIND_COLOURS = {
    "dispatch_created": "primary",
    "worker_started": "success",
    "state_changed": "secondary",
    "exited": "foreground-muted",
    "killed": "error",
    "lost": "error",
    "timed_out": "error",
    "torn_down": "warning",
    "restored": "warning",
    "input_sent": "accent",
    "note": "accent",
    "approved": "success",
    "promoted": "success",
    "rejected": "error",
}
STRIP_CACHE = 512


class Rows(Protocol):
    @property
    def count(self) -> int: ...

    def get(self, index: int) -> Receipt | None: ...


class ReceiptBuffer:
    """The latest receipts, at most `limit` of them (memory stays bounded)."""

    def __init__(self, limit: int = 500) -> None:
        self.items: deque[Receipt] = deque(maxlen=limit)

    @property
    def count(self) -> int:
        return len(self.items)

    def get(self, index: int) -> Receipt | None:
        return self.items[index] if 0 <= index < len(self.items) else None

    def add(self, receipt: Receipt) -> bool:
        if self.items and receipt.seq <= self.items[-1].seq:
            return False  # already shown (the snapshot and the stream overlap)
        self.items.append(receipt)
        return True


class ReceiptList(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    ReceiptList { background: $surface; overflow-x: hidden; overflow-y: auto; scrollbar-size-vertical: 1; }
    """

    def __init__(self, rows: Rows, *, follow: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = rows
        self.follow = follow
        self._strips: OrderedDict[int, Strip] = OrderedDict()
        self._stick = follow  # at the end, so new rows scroll into view
        self._scrolling_self = False
        self._end_due = False

    def on_mount(self) -> None:
        self.sync(jump_to_end=True)

    def on_resize(self) -> None:
        self._strips.clear()
        self.sync()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Only the operator moving up lets go of the end; a layout pass that clamps the
        # position (the view grew or shrank) must not, or the stream stops following.
        if new_value >= self.max_scroll_y:
            self._stick = True
        elif new_value < old_value and not self._scrolling_self:
            self._stick = False

    def restyle(self) -> None:
        self._strips.clear()
        self.refresh()

    def sync(self, *, jump_to_end: bool = False, shifted: bool = False) -> None:
        """The row source changed (grew, or a bounded buffer dropped its oldest rows)."""
        if shifted:
            self._strips.clear()
        self.virtual_size = Size(self.size.width, self.rows.count)
        if jump_to_end:
            self._stick = True
        if self._stick:
            self.call_after_refresh(self._to_end)
        self.refresh()

    def _to_end(self) -> None:
        if self._stick:
            self._scrolling_self = True
            try:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
            finally:
                self._scrolling_self = False

    def _end_now(self) -> None:
        self._end_due = False
        self._to_end()

    def line_for(self, receipt: Receipt, width: int, *, cut: bool = True) -> Text:
        app = self.app
        muted = Style(color=color(app, "foreground-muted"))
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(f"{receipt.seq:>7} ", style=muted)
        text.append(f"{receipt.ts[11:19]} ", style=muted)
        kind_style = Style(color=color(app, KIND_COLOURS.get(receipt.kind, "foreground")), bold=True)
        text.append(f"{receipt.kind:<17} ", style=kind_style)
        text.append(f"{(receipt.dispatch or '-'):<10} ", style=Style(color=color(app, "secondary")))
        if width >= 120:
            text.append(f"{receipt.actor[:18]:<18} ", style=muted)
        text.append(gist(receipt))
        if cut:
            text.truncate(width, overflow="ellipsis")
        return text

    def render_line(self, y: int) -> Strip:
        if y == 0 and self._stick and self.scroll_y < self.max_scroll_y and not self._end_due:
            # Painting happens once the layout is final: if an earlier jump to the end was
            # computed against a size that has since changed, catch up now (once).
            self._end_due = True
            self.call_after_refresh(self._end_now)
        _scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        style = self.rich_style
        strip = self._strips.get(index)
        if strip is None:
            receipt = self.rows.get(index)
            if receipt is None:
                return Strip.blank(width, style)
            strip = text_to_strip(self.line_for(receipt, width), self.app.console)
            self._strips[index] = strip
            while len(self._strips) > STRIP_CACHE:
                self._strips.popitem(last=False)
        return strip.crop_extend(0, width, style).apply_style(style)
