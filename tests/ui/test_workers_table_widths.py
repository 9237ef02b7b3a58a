"""A cell that grows (gates `…0/1` to `✓1/1 approve?`) is drawn whole, even when the screen is
painted between the update and the table's idle pass that widens its column.

Textual's DataTable caches each cell's rendering without its width and widens auto-width columns
only when idle: a paint in between cached the old, narrower cell, and the row kept showing
`✓1/1 a` for good (seen once under load as a terminal test waiting 90 s for "approve?")."""

from __future__ import annotations

import pytest

from cockpit.ui.app import CockpitApp

from .helpers import screen_text, wait_for
from .sample_data import NOW, as_views, gate, sample_source, view

pytestmark = pytest.mark.anyio

WORKER = "1qf9a2b3c4"


def worker(review: str, status: str, seq: int) -> dict:
    v = view(WORKER, "Ship it", "exited", ended="05:00.000000Z", review=review, gates=[gate("tests", status, "ok")], exit_code=0)
    v["as_of_seq"] = seq
    return v


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_widened_cell_painted_before_the_idle_pass_is_drawn_whole(size: tuple[int, int]) -> None:
    source = sample_source(views=[worker("gating", "running", 10)])
    source.clock = NOW
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: "…0/1" in screen_text(app), what="the gating row")
        app.board.apply(as_views([worker("awaiting_approval", "passed", 20)])[0])
        app.main.show_board()  # the update, as the app's repaint makes it...
        screen_text(app)  # ...and a paint before the table's idle pass (what load makes likely)
        await wait_for(pilot, lambda: "✓1/1 approve?" in screen_text(app), timeout=5, what="the whole gates cell")
