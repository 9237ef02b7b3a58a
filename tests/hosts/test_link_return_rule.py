"""Who records a worker's way back from `unreachable` (cockpit/domain/dispatch.py): the link
alone. A screen or hook reading that comes before the link's receipt raced it."""

from __future__ import annotations

import pytest

from cockpit.domain.dispatch import FINAL_STATES, LINK_SOURCE, RUNNING_STATES, WorkerState, may_change_state

OTHER_SOURCES = ("screen", "hook", "event", "transcript")


@pytest.mark.parametrize("new", sorted(RUNNING_STATES - {WorkerState.STARTING}))
def test_only_the_link_leads_back_from_unreachable_to_a_running_state(new: WorkerState) -> None:
    assert may_change_state(WorkerState.UNREACHABLE, new, LINK_SOURCE)
    for source in OTHER_SOURCES:
        assert not may_change_state(WorkerState.UNREACHABLE, new, source), source


@pytest.mark.parametrize("end", sorted(FINAL_STATES))
def test_an_unreachable_worker_can_still_end_whatever_saw_it(end: WorkerState) -> None:
    for source in (LINK_SOURCE, *OTHER_SOURCES, "exit"):
        assert may_change_state(WorkerState.UNREACHABLE, end, source), source


def test_elsewhere_the_source_does_not_matter_and_no_change_is_no_receipt() -> None:
    for source in (LINK_SOURCE, *OTHER_SOURCES):
        assert may_change_state(WorkerState.WORKING, WorkerState.WAITING, source)
        assert may_change_state(WorkerState.WAITING, WorkerState.UNREACHABLE, source)
        assert not may_change_state(WorkerState.WORKING, WorkerState.WORKING, source)
        assert not may_change_state(WorkerState.UNREACHABLE, WorkerState.UNREACHABLE, source)
        assert not may_change_state(WorkerState.PAUSED, WorkerState.WORKING, source)  # only `resumed` leaves paused
