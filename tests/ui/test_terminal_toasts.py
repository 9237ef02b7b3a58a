"""Toasts in a real terminal (the real `cockpit` in a tmux pane on a private server): news
about a worker goes away once it is no longer true, instead of lingering over the screen."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.service.client import SupervisorClient
from cockpit.service.workspace import Workspace

from .terminal import Terminal, cockpit_argv, terminal_env

pytestmark = [pytest.mark.tmux, pytest.mark.terminal]
TOAST_TIMEOUT_S = 10  # how long a toast would stay on its own


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(120, 36)
    yield term
    term.kill()


def test_the_waiting_toast_goes_when_the_worker_is_answered(workspace: Workspace, repo: Path, terminal: Terminal) -> None:
    terminal.start(cockpit_argv(), repo, terminal_env())
    terminal.wait_for("● connected")
    SupervisorClient(workspace).call("dispatch", prompt="@fake ask Continue?\n@fake say all done", actor="test")
    terminal.wait_for("is waiting for input")
    terminal.keys("y")  # the selected (only) worker: answer yes
    answered = time.monotonic()
    terminal.wait_until(
        lambda: "is waiting for input" not in terminal.screen(), "the waiting toast to go", timeout=TOAST_TIMEOUT_S * 3
    )
    gone_after = time.monotonic() - answered
    assert gone_after < TOAST_TIMEOUT_S / 2, f"the toast outlived the wait by {gone_after:.1f} s"
    assert "Worker waiting" not in terminal.screen()
    terminal.wait_for("all done")
    terminal.keys("q")
    terminal.wait_until(terminal.pane_dead, "the TUI to quit")


def test_opening_the_approve_dialog_takes_down_the_promotion_toast(workspace: Workspace, repo: Path) -> None:
    """At 80x24 the approve dialog fills the screen and the toast sat on its buttons for ten
    seconds. Pressing `a` acts on that news, so the toast goes and the buttons show at once."""
    terminal = Terminal(80, 24)
    try:
        terminal.start(cockpit_argv(), repo, terminal_env())
        terminal.wait_for("● connected")
        worker = SupervisorClient(workspace).call(
            "dispatch", prompt="Ship it\n@fake write a.txt a\n@fake commit add a", actor="test"
        )["id"]
        terminal.wait_for("a promotion is ready", timeout=90)
        terminal.keys("a")
        opened = time.monotonic()
        dialog = terminal.wait_for(f"Approve {worker}:")
        terminal.wait_until(lambda: "Approve (y)" in terminal.screen(), "the dialog's buttons", timeout=TOAST_TIMEOUT_S * 3)
        shown_after = time.monotonic() - opened
        assert shown_after < TOAST_TIMEOUT_S / 2, f"the buttons were hidden for {shown_after:.1f} s:\n{dialog}"
        assert "a promotion is ready" not in terminal.screen()
        terminal.keys("Escape")
        terminal.back_on_board(f"Approve {worker}:", "the dialog to close")
        terminal.keys("q")
        terminal.wait_until(terminal.pane_dead, "the TUI to quit")
    finally:
        terminal.kill()
