"""The whole ledger as a log viewer: a cursor row, lines never cut (scroll sideways), and
jumps between the receipts of one dispatch. Pages are still read only when shown."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from cockpit.domain.receipt import Receipt
from cockpit.ui.widgets.receipt_list import ReceiptList, Rows

JUMP_SCAN = 50_000  # how far `[` and `]` look for the dispatch's previous / next receipt


class LedgerList(ReceiptList):
    DEFAULT_CSS = """
    LedgerList { overflow-x: auto; scrollbar-size-horizontal: 1; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "first", "oldest"),
        Binding("end", "last", "latest"),
        Binding("left", "sideways(-8)", show=False),
        Binding("right", "sideways(8)", show=False),
        Binding("left_square_bracket", "jump(-1)", "prev of dispatch", key_display="["),
        Binding("right_square_bracket", "jump(1)", "next of dispatch", key_display="]"),
    ]

    class Highlighted(Message):
        def __init__(self, receipt: Receipt | None) -> None:
            super().__init__()
            self.receipt = receipt

    def __init__(self, rows: Rows, *, id: str | None = None) -> None:
        super().__init__(rows, follow=True, id=id)
        self.cursor = max(0, rows.count - 1)
        self._widest = 0

    @property
    def current(self) -> Receipt | None:
        return self.rows.get(self.cursor)

    def line_for(self, receipt: Receipt, width: int, *, cut: bool = False) -> Text:  # never cut: the ledger scrolls sideways
        text = super().line_for(receipt, width, cut=False)
        self._widest = max(self._widest, text.cell_len)
        return text

    def sync(self, *, jump_to_end: bool = False, shifted: bool = False) -> None:
        at_last = self.cursor >= self.rows.count - 2
        super().sync(jump_to_end=jump_to_end, shifted=shifted)
        self.virtual_size = Size(max(self._widest, self.scrollable_content_region.width), self.rows.count)
        if (jump_to_end or (self._stick and at_last)) and self.rows.count:
            self.move_to(self.rows.count - 1)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        strip = super().render_line(y)  # renders (and caches) the whole line, cropped to the width
        index = scroll_y + y
        cached = self._strips.get(index)
        if cached is not None:
            strip = cached.crop_extend(scroll_x, scroll_x + self.size.width, self.rich_style)
            strip = strip.apply_style(self.rich_style)
            if self.virtual_size.width < cached.cell_length:
                self.call_after_refresh(self._widen)
        if index == self.cursor:
            strip = strip.apply_style(Style(reverse=True))
        return strip

    def _widen(self) -> None:
        self.virtual_size = Size(max(self._widest, self.scrollable_content_region.width), self.rows.count)

    # -- moving ----------------------------------------------------------------------------

    def move_to(self, index: int) -> None:
        count = self.rows.count
        if not count:
            return
        index = max(0, min(count - 1, index))
        old, self.cursor = self.cursor, index
        height = self.scrollable_content_region.height or 1
        if index < self.scroll_y:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= self.scroll_y + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)
        self._stick = index == count - 1
        self.refresh_line(old)
        self.refresh_line(index)
        self.post_message(self.Highlighted(self.current))

    def refresh_line(self, index: int) -> None:
        row = index - int(self.scroll_y)
        if 0 <= row < self.size.height:
            self.refresh_lines(row)

    def action_move(self, rows: int) -> None:
        self.move_to(self.cursor + rows)

    def action_page(self, pages: int) -> None:
        self.move_to(self.cursor + pages * max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(self.rows.count - 1)

    def action_sideways(self, columns: int) -> None:
        self.scroll_to(x=max(0, self.scroll_x + columns), animate=False)

    def action_jump(self, step: int) -> None:
        """To the previous / next receipt of the dispatch under the cursor."""
        here = self.current
        if here is None or not here.dispatch:
            self.app.notify("this receipt belongs to no dispatch", severity="warning")
            return
        index = self.cursor + step
        for _ in range(JUMP_SCAN):
            receipt = self.rows.get(index)
            if receipt is None:
                break
            if receipt.dispatch == here.dispatch:
                self.move_to(index)
                return
            index += step
        where = "earlier" if step < 0 else "later"
        self.app.notify(f"no {where} receipt of {here.dispatch}", severity="information", markup=False)

    def on_click(self, event: events.Click) -> None:
        self.move_to(int(self.scroll_y) + event.y)
