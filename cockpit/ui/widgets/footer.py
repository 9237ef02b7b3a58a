"""The footer: the keys that apply right now, on one line that fits any width.

Textual's Footer lays every key out and cuts the line at the edge, so at 80 columns help
and quit fell off. This one ranks the keys (help, quit and the palette always stay; then
what the selected worker most likely needs) and drops the lowest-ranked ones that do not
fit, keeping the rest in their usual order. Everything dropped is still in the palette.
It is one Static, redrawn only when the screen's bindings change (no per-key widgets,
so none of Footer's per-recompose watcher leak either).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widgets import Static

from cockpit.ui.keys import rank_of
from cockpit.ui.palette import color

GAP = "  "
PALETTE = ("ctrl+p", "^p", "palette")


def fit(items: list[tuple[str, str, str, int]], width: int) -> list[tuple[str, str, str, int]]:
    """The items (key, shown key, label, rank) that fit in `width`, best-ranked first, in order."""
    keep = list(items)

    def length(chosen: list[tuple[str, str, str, int]]) -> int:
        return sum(len(shown) + 1 + len(label) for _k, shown, label, _r in chosen) + len(GAP) * len(chosen) + 1

    while keep and length(keep) > width:
        worst = max(range(len(keep)), key=lambda i: (keep[i][3], i))
        del keep[worst]
    return keep


class CockpitFooter(Static):
    DEFAULT_CSS = """
    CockpitFooter { dock: bottom; height: 1; background: $panel; }
    """

    def __init__(self) -> None:
        super().__init__("")
        self._spans: list[tuple[int, int, str]] = []
        self.shown: tuple[str, ...] = ()  # the keys on the line now

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self.redraw)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self.redraw()

    def _bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self.redraw()

    def items(self) -> list[tuple[str, str, str, int]]:
        seen: set[str] = set()
        items = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not active.enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            shown = binding.key_display or self.app.get_key_display(binding)
            items.append((binding.key.split(",")[0], shown, binding.description, rank_of(binding.action)))
        items.append((*PALETTE, 0))
        return items

    def wanted(self) -> tuple[str, ...]:
        """The keys the line should show now (a test compares it with `shown`)."""
        return tuple(key for key, *_rest in fit(self.items(), self.size.width or self.app.size.width))

    def redraw(self) -> None:
        width = self.size.width or self.app.size.width
        chosen = fit(self.items(), width)
        self.shown = tuple(key for key, *_rest in chosen)
        key_style = Style(color=color(self.app, "accent"), bold=True)
        text = Text(" ", no_wrap=True, overflow="crop", end="")
        self._spans = []
        for i, (key, shown, label, _rank) in enumerate(chosen):
            if i:
                text.append(GAP)
            start = len(text)
            text.append(shown, style=key_style)
            text.append(f" {label}")
            self._spans.append((start, len(text), key))
        self.update(text)

    async def on_click(self, event: events.Click) -> None:
        """Clicking a key presses it (handy in a browser, through `cockpit serve`)."""
        for start, end, key in self._spans:
            if start <= event.x < end:
                await self.app.run_action("command_palette" if key == "ctrl+p" else f"simulate_key({key!r})")
                return
