"""The footer, without Textual 8.2.8's leak.

Each time the bindings change, Textual's Footer recomposes its keys, and every new
key binds itself to the footer's `compact` reactive. The watchers of keys already
removed are only dropped when `compact` changes, which in cockpit is never: moving
the selection then leaked about 330 KB a move (found by the TUI memory benchmark).
After each recompose, forget the watchers whose key is no longer mounted.
"""

from __future__ import annotations

from textual.widgets import Footer


class CockpitFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        watchers = getattr(self, "__watchers", {}).get("compact")  # Textual's own bookkeeping
        if watchers:
            watchers[:] = [(node, callback) for node, callback in watchers if node.is_attached]
