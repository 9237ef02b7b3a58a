"""80x24, the smallest terminal cockpit promises: the footer still offers help and quit, the
gates column still says what the gates concluded, and a long approve dialog keeps its buttons
on screen (its body scrolls)."""

from __future__ import annotations

import pytest

from cockpit.protocol.replies import ReviewGate
from cockpit.ui.app import CockpitApp

from .helpers import screen_text, select_worker, wait_for, wait_for_text
from .sample_data import sample_source

pytestmark = pytest.mark.anyio
READY = "1qf9a2b3e6"


def long_review_source():  # type: ignore[no-untyped-def]
    source = sample_source()
    review = source.reviews[READY]
    findings = [
        {"severity": "advisory", "file": f"src/mod{n}.py", "line": n, "message": f"note number {n}"} for n in range(1, 16)
    ]
    review.gates = [
        *review.gates,
        ReviewGate.model_validate(
            {
                "name": "lint",
                "kind": "command",
                "required": False,
                "status": "passed",
                "summary": "15 notes",
                "findings": findings,
            }
        ),
    ]
    return source


@pytest.mark.parametrize("selected", ["1qf9a2b3c4", "1qf9a2b3d5", READY])
async def test_the_footer_keeps_help_and_quit_at_80x24(selected: str) -> None:
    app = CockpitApp(sample_source(), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_worker(pilot, selected)
        await pilot.pause(0.2)
        footer = screen_text(app).splitlines()[-1]
        assert "? help" in footer and "q quit" in footer, footer


async def test_the_gates_column_says_what_the_gates_concluded_at_80x24() -> None:
    app = CockpitApp(sample_source(), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_text(pilot, "Write docs")
        row = next(line for line in screen_text(app).splitlines() if "Write docs" in line)
        assert "✓2/2 approve?" in row, row


async def test_a_long_approve_dialog_keeps_its_buttons_on_screen_at_80x24() -> None:
    app = CockpitApp(long_review_source(), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_worker(pilot, READY)
        await pilot.press("a")
        await wait_for_text(pilot, "Approve (y)")
        assert "What will happen" not in screen_text(app)  # below the fold...
        await pilot.press("pagedown", "pagedown", "pagedown")
        await wait_for_text(pilot, "What will happen")  # ...and the body scrolls to it
        assert "Approve (y)" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is app.main, what="the dialog to close")
