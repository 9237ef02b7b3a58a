"""The selected worker's terminal, as tmux renders it, with its colours.

Memory stays bounded however long the worker runs: the view holds one capture (the
screen plus a fixed number of history lines), never an ever-growing log. Lines that
did not change between two captures keep their rendered strip, so a busy worker costs
one ANSI parse per new line, and only changed rows are repainted.
"""

from __future__ import annotations

from rich.text import Text

from cockpit.ui.widgets.strip_view import StripView, text_to_strip

HISTORY_LINES = 1000


class PaneView(StripView):
    DEFAULT_CSS = """
    PaneView {
        background: $background;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(follow=True, id=id)
        self.worker_id: str | None = None
        self._cache: dict[str, object] = {}

    def show_capture(self, worker_id: str, text: str) -> None:
        if worker_id != self.worker_id:
            self.worker_id = worker_id
            self._cache = {}
            self.strips = []
            self.scroll_to(y=0, animate=False, immediate=True)
        lines = text.split("\n")
        while lines and not lines[-1].strip():
            lines.pop()  # tmux pads the screen with empty rows below the cursor
        console = self.app.console
        cache: dict[str, object] = {}
        strips = []
        for line in lines:
            strip = self._cache.get(line) or cache.get(line)
            if strip is None:
                strip = text_to_strip(Text.from_ansi(line, no_wrap=True, end=""), console)
            cache[line] = strip
            strips.append(strip)
        self._cache = cache
        self.set_strips(strips)  # type: ignore[arg-type]

    def show_message(self, worker_id: str | None, message: str) -> None:
        self.worker_id = worker_id
        self._cache = {}
        self.set_strips([text_to_strip(Text(message, style="italic", end=""), self.app.console)])
