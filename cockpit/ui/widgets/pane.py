"""The selected worker's terminal, as tmux renders it, with its colours.

It follows the tail like `tail -f` until the operator scrolls up; then it holds still
(the lines under the operator's eyes stay put even as the capture's window slides) and
its title counts the lines that arrived meanwhile. End, or scrolling back to the bottom,
follows again. A worker opens at its last line, whatever its state.

Memory stays bounded however long the worker runs: the view holds one capture (the
screen plus a fixed number of history lines), never an ever-growing log. Lines that
did not change between two captures keep their rendered strip, so a busy worker costs
one ANSI parse per new line, and only changed rows are repainted.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.strip import Strip

from cockpit.ui.widgets.strip_view import StripView, text_to_strip

HISTORY_LINES = 1000
LIVE_ROWS = 200  # the bottom of a capture may still be rewritten in place (a worker's live screen)


def scrolled_by(old: list[str], new: list[str]) -> int:
    """How many lines the capture's window moved down between `old` and `new`.

    The window holds the last HISTORY_LINES lines, so once a worker has printed that many,
    each new line pushes one old line out of the top. The answer is the smallest k for which
    `new` starts with `old[k:]` over the part of `old` above its live rows; len(old) when
    nothing overlaps (everything on screen is new).
    """
    if not old or not new:
        return 0
    stable = max(1, len(old) - LIVE_ROWS)
    first = new[0]
    for k, line in enumerate(old):
        if line != first:
            continue
        span = min(stable - k, len(new)) if k < stable else 1
        if old[k : k + span] == new[:span]:
            return k
    return len(old)


def capture_lines(text: str) -> list[str]:
    """A tmux capture's lines without what is not the worker's output at the bottom: the empty
    rows tmux pads the screen with, and its "Pane is dead" line under an exited worker (there,
    below the empty rows, it would make the pane open on a blank screen)."""
    lines = text.split("\n")
    _trim_bottom(lines)
    if lines and _ESCAPES.sub("", lines[-1]).startswith("Pane is dead"):
        lines.pop()
        _trim_bottom(lines)
    return lines


def _trim_bottom(lines: list[str]) -> None:
    """tmux pads the screen with empty rows (at most colour resets) below the last output."""
    while lines and not _ESCAPES.sub("", lines[-1]).strip():
        lines.pop()


_ESCAPES = re.compile(r"\x1b\[[0-9;:?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")  # CSI and two-byte escapes


class PaneView(StripView):
    DEFAULT_CSS = """
    PaneView {
        background: $background;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.follow = True  # at the tail: each capture scrolls to its end
        self.worker_id: str | None = None
        self.label = "output"
        self.lines: list[str] = []
        self.new_lines = 0  # arrived while the operator reads above
        self._cache: dict[str, Strip] = {}
        self._moving = False  # the view scrolls itself: not the operator leaving the tail

    # -- following ---------------------------------------------------------------------------

    def _scroll_self(self, y: float) -> None:
        self._moving = True
        try:
            self.scroll_to(y=y, animate=False, immediate=True)
        finally:
            self._moving = False

    def _to_end(self) -> None:
        if self.follow:
            self._scroll_self(self.max_scroll_y)

    def _set_following(self, follow: bool) -> None:
        if follow != self.follow or (follow and self.new_lines):
            self.follow = follow
            if follow:
                self.new_lines = 0
            self.show_title()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._moving and self.strips:
            self._set_following(round(new_value) >= self.max_scroll_y)

    def action_scroll_end(self) -> None:
        self._set_following(True)
        self._to_end()

    def on_resize(self) -> None:
        if self.follow:
            self.call_after_refresh(self._to_end)

    def show_title(self) -> None:
        title = self.label
        if not self.follow:
            title += f" · ↓ {self.new_lines} new lines (End follows)" if self.new_lines else " · held (End follows)"
        self.border_title = title

    # -- content -----------------------------------------------------------------------------

    def show_capture(self, worker_id: str, text: str) -> None:
        lines = capture_lines(text)
        if worker_id != self.worker_id:
            self.worker_id = worker_id
            self._cache = {}
            self.lines = []
            self.new_lines = 0
            self.follow = True
            self.show_title()
        console = self.app.console
        cache: dict[str, Strip] = {}
        strips = []
        for line in lines:
            strip = self._cache.get(line) or cache.get(line)
            if strip is None:
                strip = text_to_strip(Text.from_ansi(line, no_wrap=True, end=""), console)
            cache[line] = strip
            strips.append(strip)
        self._cache = cache
        if self.follow:
            self.lines = lines
            self.set_strips(strips)
            self._to_end()
            self.call_after_refresh(self._to_end)  # again once scrollbars have settled
            return
        moved = scrolled_by(self.lines, lines)
        self.new_lines += max(0, len(lines) - (len(self.lines) - moved))
        self.lines = lines
        top = max(0.0, self.scroll_y - moved)
        self.set_strips(strips)
        self._scroll_self(top)
        self.refresh()
        self.show_title()

    def show_message(self, worker_id: str | None, message: str) -> None:
        self.worker_id = worker_id
        self._cache = {}
        self.lines = []
        self.new_lines = 0
        self.follow = True
        self.show_title()
        self.set_strips([text_to_strip(Text(message, style="italic", end=""), self.app.console)])
        self._scroll_self(0)
