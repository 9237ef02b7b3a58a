"""Helpers for driving the TUI in tests: what the screen says, and waiting for it to say something."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Callable

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot


def screen_text(app: App) -> str:
    """The whole screen (with any modal over it) as plain text, as the operator would read it."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def wait_for(pilot: Pilot, predicate: Callable[[], bool], *, timeout: float = 60.0, what: str = "the condition") -> None:
    """Let the app run until `predicate()` holds; fail with the screen's text if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; the screen says:\n{screen_text(pilot.app)}")


async def wait_for_text(pilot: Pilot, text: str, *, timeout: float = 60.0) -> None:
    await wait_for(pilot, lambda: text in screen_text(pilot.app), timeout=timeout, what=repr(text))


async def select_worker(pilot: Pilot, dispatch_id: str) -> None:
    """Move the workers table's cursor to `dispatch_id` once its row is there, as the arrow keys would."""
    app = pilot.app
    await wait_for(
        pilot,
        lambda: app.main is not None and dispatch_id in app.main.query_one("#workers")._order,
        what=f"the row of {dispatch_id}",
    )
    app.main.query_one("#workers").select(dispatch_id)
    await wait_for(pilot, lambda: app.main.selected == dispatch_id, what=f"{dispatch_id} to be selected")
