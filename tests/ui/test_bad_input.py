"""Bad input inside the TUI gets a clear message where the operator is looking, never a crash."""

from __future__ import annotations

import pytest

from cockpit.service.ui_support import save_ui_settings
from cockpit.ui.app import CockpitApp

from .helpers import screen_text, wait_for, wait_for_text
from .sample_data import sample_source

pytestmark = pytest.mark.anyio


async def test_an_empty_prompt_is_refused_inside_the_form() -> None:
    source = sample_source()
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "Write docs")
        await pilot.press("n")
        await wait_for_text(pilot, "New dispatch")
        await pilot.press("space", "space", "ctrl+s")
        await wait_for_text(pilot, "The prompt is empty")
        assert not any(op == "dispatch" for op, _args in source.calls)  # nothing was dispatched
        await pilot.press("h", "i")  # typing clears the message
        await wait_for(pilot, lambda: "The prompt is empty" not in screen_text(app), what="the message to go")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(op == "dispatch" for op, _args in source.calls), what="the dispatch")


async def test_an_unknown_remembered_theme_is_named_and_the_default_used() -> None:
    save_ui_settings(theme="no-such-theme")
    app = CockpitApp(sample_source())
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(
            pilot,
            lambda: any("there is no theme 'no-such-theme'" in str(n.message) for n in app._notifications),
            what="the message",
        )
        assert app.theme == "cockpit"
