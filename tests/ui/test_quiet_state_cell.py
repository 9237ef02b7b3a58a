"""The TUI's state column tells a silent worker from a working one (pure formatting)."""

from __future__ import annotations

from datetime import UTC, datetime

from cockpit.protocol.views import DispatchView
from cockpit.ui.format import state_of

from .sample_data import view as sample_view

NOW = datetime(2026, 11, 28, 5, 0, 0, tzinfo=UTC)


def view(state: str, quiet_since_ts: str | None) -> DispatchView:
    return DispatchView.model_validate({**sample_view("1qf9a2b3c4", "t", state), "quiet_since_ts": quiet_since_ts})


def test_a_quiet_working_worker_reads_no_output_for_how_long() -> None:
    assert state_of(view("working", "2026-11-28T04:57:00.000000Z"), NOW) == ("▷", "no output 3m", "warning")


def test_without_quiet_or_without_a_clock_it_is_working() -> None:
    assert state_of(view("working", None), NOW)[1] == "working"
    assert state_of(view("working", "2026-11-28T04:57:00.000000Z"))[1] == "working"
    # only a working worker can be quiet: a waiting one says WAITING whatever the store still holds
    assert state_of(view("waiting", "2026-11-28T04:57:00.000000Z"), NOW)[1] == "WAITING"
