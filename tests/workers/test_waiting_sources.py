"""Which source may end a `waiting` (cockpit/service/signals.py), as pure functions: hooks and the
screen race to report a permission prompt, the first records it, the second confirms it without
a second receipt, and once answered the screen may end it whichever came first."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.domain.dispatch import WorkerState
from cockpit.runtime.providers import load_catalog
from cockpit.runtime.usage import parser_for
from cockpit.service.context import LiveWorker
from cockpit.service.signals import note_screen_state, note_signal_state, screen_may_change

WAITING = WorkerState.WAITING


def _worker() -> LiveWorker:
    claude = load_catalog(None).get("claude")
    worker = LiveWorker("w1", claude, "interactive", Path("/dev/null"), parser_for(claude.usage_parser))
    worker.signals_seen = True  # its hooks speak
    return worker


def test_screen_first_then_the_hook_confirms_and_the_answered_screen_ends_it() -> None:
    worker = _worker()
    note_screen_state(worker, WAITING)  # the screen recorded `waiting`
    note_signal_state(worker, WAITING, changed=False)  # PermissionRequest: no second receipt
    assert screen_may_change(worker, WAITING, "working")  # answered: the screen says working


def test_hook_first_the_screen_may_end_it_only_after_it_has_shown_the_prompt() -> None:
    worker = _worker()
    note_signal_state(worker, WAITING, changed=True)  # the hook recorded `waiting`, nothing drawn yet
    assert not screen_may_change(worker, WAITING, "working")  # a frame from before the dialog
    assert screen_may_change(worker, WAITING, "waiting")  # the dialog drawn: confirms it
    assert screen_may_change(worker, WAITING, "working")  # answered


@pytest.mark.parametrize("state", [WorkerState.WORKING, WorkerState.IDLE])
def test_a_hook_that_leaves_waiting_forgets_the_screens_confirmation(state: WorkerState) -> None:
    worker = _worker()
    note_screen_state(worker, WAITING)
    note_signal_state(worker, state, changed=True)
    assert (worker.waiting_by_hook, worker.waiting_on_screen) == (False, False)
    assert not screen_may_change(worker, state, "idle")  # working vs idle comes from hooks
