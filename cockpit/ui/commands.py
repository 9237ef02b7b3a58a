"""The command palette's cockpit entries: every key of the main screen that applies now.

Titles and help are `Content` built from plain strings, never markup: Textual parses a
string title as markup, so `"Receipts  [r]"` was read as a tag and `[/]` crashed the
palette. Highlighting a match styles character ranges of the plain title instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from cockpit.ui.keys import DIFF_KEYS, HOSTS_KEYS, MAIN_KEYS, Key


def command_title(key: Key) -> str:
    """What the palette lists for a key: the help's first words and the key to press."""
    return f"{key.help.split(':')[0]}  [{key.display}]"


class CockpitCommands(Provider):
    def _entries(self) -> Iterator[tuple[str, Key, Any]]:
        main = getattr(self.app, "main", None)
        if getattr(self.screen, "is_diff_view", False):  # the diff view: comment, send comments
            for key in DIFF_KEYS:
                if key.action in ("comment", "send_comments"):

                    async def on_diff(action: str = key.action) -> None:
                        await self.screen.run_action(action)

                    yield command_title(key), key, on_diff
            return
        if getattr(self.screen, "is_hosts_view", False):  # the hosts view: probe again
            for key in HOSTS_KEYS:
                if key.action == "refresh":

                    async def on_hosts(action: str = key.action) -> None:
                        await self.screen.run_action(action)

                    yield command_title(key), key, on_hosts
            return
        if main is None or self.screen is not main:
            return
        for key in MAIN_KEYS:
            name = key.action.split("(")[0]
            if key.action == "quit" or main.check_action(name, ()) is False:
                continue

            async def run(action: str = key.action) -> None:
                await main.run_action(action)

            yield command_title(key), key, run

    async def discover(self) -> Hits:
        for title, key, run in self._entries():
            yield DiscoveryHit(Content(title), run, text=title, help=Content(key.help))  # type: ignore[arg-type]  # Content is taken as is (a str would be parsed as markup); the stub says str

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        style = matcher.match_style
        for title, key, run in self._entries():
            score, offsets = matcher.fuzzy_search.match(matcher.query, title)
            if score <= 0:
                continue
            display = Content(title)
            for offset in offsets:
                if not title[offset].isspace():
                    display = display.stylize(style, offset, offset + 1)
            yield Hit(score, display, run, text=title, help=Content(key.help))  # type: ignore[arg-type]  # Content is taken as is (a str would be parsed as markup); the stub says str
