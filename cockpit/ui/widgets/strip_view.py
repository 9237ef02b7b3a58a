"""A scrolling view of pre-rendered lines (the Line API): it paints only the visible rows,
and after an update repaints only the rows whose content changed."""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


def text_to_strip(text: Text, console: Console) -> Strip:
    segments = list(text.render(console))
    return Strip([s for s in segments if s.text != "\n"] or [Segment("")])


class StripView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    StripView {
        background: $surface;
        overflow: auto;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.strips: list[Strip] = []

    def set_strips(self, strips: list[Strip]) -> None:
        """Replace the content, repainting only the visible rows whose strip changed."""
        old = self.strips
        self.strips = strips
        size = Size(max((s.cell_length for s in strips), default=0), len(strips))
        if size != self.virtual_size:
            self.virtual_size = size
            self.refresh()
            return
        top = int(self.scroll_y)
        for row in range(self.size.height):
            i = top + row
            before = old[i] if i < len(old) else None
            after = strips[i] if i < len(strips) else None
            if before is not after:
                self.refresh(Region(0, row, self.size.width, 1))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if index >= len(self.strips):
            return Strip.blank(width, style)
        return self.strips[index].crop_extend(scroll_x, scroll_x + width, style).apply_style(style)
