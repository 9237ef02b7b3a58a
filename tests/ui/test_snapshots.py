"""Screenshots of the TUI on fixed data (a fixed clock, fixed ids, no blinking), compared with
the accepted ones in __snapshots__/. After an intended change to the look, review and run
`pytest tests/ui/test_snapshots.py --snapshot-update`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from cockpit.ui.app import CockpitApp
from .helpers import select_worker
from .sample_data import sample_source

WAITING, READY, FAILING = "1qf9a2b3d5", "1qf9a2b3e6", "1qf9a2b3f7"


def make_app(*, empty: bool = False, theme: str = "cockpit") -> CockpitApp:
    source = sample_source(views=[]) if empty else sample_source()
    if empty:
        source.receipts = source.receipts[:2]
    return CockpitApp(source, theme=theme, remember_theme=False)


def select(dispatch_id: str) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        await select_worker(pilot, dispatch_id)
        await pilot.pause(0.2)

    return run_before


def test_empty_state(snap_compare: Any) -> None:
    assert snap_compare(make_app(empty=True), terminal_size=(100, 30))


def test_several_workers_in_different_states(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36))


def test_several_workers_at_80x24(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24))


def test_several_workers_light_theme(snap_compare: Any) -> None:
    assert snap_compare(make_app(theme="cockpit-light"), terminal_size=(120, 36))


def test_a_waiting_worker_selected(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=select(WAITING))


def test_the_approve_confirmation(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=select(READY), press=["a", "_"])


def test_the_approve_confirmation_at_80x24(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=select(READY), press=["a", "_"])


def test_an_approve_refusal_shows_the_reason(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(100, 30), run_before=select(WAITING), press=["a", "_"])


def test_the_teardown_confirmation(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=select(FAILING), press=["t", "_"])


def test_the_diff_view(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36), run_before=select(WAITING), press=["d", "_"])


def test_the_receipts_view(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(120, 36), press=["r", "_"])


def test_the_dispatch_form(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["n", "_"])


@pytest.mark.parametrize("size", [(80, 24), (300, 80)])
def test_help_fits(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, press=["question_mark", "_"])
