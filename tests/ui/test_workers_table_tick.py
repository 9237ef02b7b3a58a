"""The board's time column turns at the minute while the 1 s tick does nothing in between
(that per-second work was most of an idle TUI's CPU; docs/benchmarks.md, figure 1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cockpit.ui import format as fmt
from cockpit.ui.app import CockpitApp
from cockpit.ui.widgets.workers_table import WorkersTable, _next_turn

from .helpers import screen_text, wait_for
from .sample_data import BASE, NOW, as_views, sample_source, view

pytestmark = pytest.mark.anyio
WORKER = "1qf9a2b3c4"


def test_the_next_turn_is_the_first_whole_minute_of_a_live_time() -> None:
    working = view(WORKER, "Work", "working")  # started 15:02:00, NOW is 15:09:26: 7m, 8m at 15:10:00

    def turn(*views: dict) -> object:
        return _next_turn(as_views(list(views)), NOW)

    assert turn(working) == NOW.replace(minute=10, second=0)
    quiet = {**working, "quiet_since_ts": BASE + "09:00.500000Z"}  # quiet for 25.5 s: 1m at 15:10:00.5
    assert turn(quiet) == NOW.replace(minute=10, second=0)
    assert turn({**working, "quiet_since_ts": BASE + "08:59.000000Z"}) == NOW.replace(minute=9, second=59)
    paused = {**working, "state": "paused", "paused_ts": BASE + "05:00.000000Z", "paused_from": "working"}
    assert turn(paused, view("1qf9a2b3d5", "Done", "exited", ended="05:00.000000Z")) is None


async def test_the_time_cell_turns_at_the_minute_and_not_before(monkeypatch: pytest.MonkeyPatch) -> None:
    source = sample_source(views=[view(WORKER, "Work", "working")])
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: "7m" in screen_text(app), what="the row at 7m")
        main = app.main
        assert main is not None
        table = main.query_one("#workers", WorkersTable)
        looked = []
        real = fmt.elapsed_s
        monkeypatch.setattr(fmt, "elapsed_s", lambda v, now: looked.append(now) or real(v, now))
        for seconds in (5, 20, 33):  # 15:09:31 .. 15:09:59
            source.clock = NOW + timedelta(seconds=seconds)
            main._tick_elapsed()
        assert len(looked) <= 2  # the first tick looks (after the sync), the others wait for 15:10:00
        source.clock = NOW.replace(minute=10, second=0, microsecond=1000)
        main._tick_elapsed()
        await wait_for(pilot, lambda: "8m" in screen_text(app), what="the row at 8m")
        assert table._cells[WORKER]["elapsed"].startswith("8m")
