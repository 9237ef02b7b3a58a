"""The TUI's state column tells a silent worker from a working one (pure formatting)."""

from __future__ import annotations

from datetime import UTC, datetime

from cockpit.ui.format import state_of

NOW = datetime(2026, 11, 28, 5, 0, 0, tzinfo=UTC)


def test_a_quiet_working_worker_reads_no_output_for_how_long() -> None:
    view = {"state": "working", "quiet_since_ts": "2026-11-28T04:57:00.000000Z"}
    assert state_of(view, NOW) == ("▷", "no output 3m", "warning")


def test_without_quiet_or_without_a_clock_it_is_working() -> None:
    assert state_of({"state": "working", "quiet_since_ts": None}, NOW)[1] == "working"
    assert state_of({"state": "working", "quiet_since_ts": "2026-11-28T04:57:00.000000Z"})[1] == "working"
    # only a working worker can be quiet: a waiting one says WAITING whatever the store still holds
    assert state_of({"state": "waiting", "quiet_since_ts": "2026-11-28T04:57:00.000000Z"}, NOW)[1] == "WAITING"
