"""The command palette in a real terminal (the real `cockpit` in a tmux pane on a private
server): it opens, filters as you type, runs a command, and switches the theme for good."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.service.workspace import Workspace

from .terminal import Terminal, cockpit_argv, terminal_env

pytestmark = [pytest.mark.tmux, pytest.mark.terminal]


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(100, 30)
    yield term
    term.kill()


def settings() -> dict:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "cockpit" / "ui.json"
    return json.loads(path.read_text()) if path.exists() else {}


def test_the_palette_opens_runs_a_command_and_switches_the_theme(workspace: Workspace, repo: Path, terminal: Terminal) -> None:
    terminal.start(cockpit_argv(), repo, {**terminal_env(), "COLORTERM": "truecolor"})
    terminal.wait_for("● connected")
    assert "48;2;246;241;231" not in terminal.screen_ansi()  # not paper yet
    terminal.keys("C-p")
    listed = terminal.wait_for("Search for commands")
    assert "New dispatch  [n]" in listed and "Receipts  [r]" in listed  # each command shows its key
    terminal.type("receipts")
    terminal.wait_for("Receipts  [r]")
    terminal.keys("Enter")
    terminal.wait_for("in the ledger")  # the command ran: the receipts view is open
    terminal.keys("Escape")
    terminal.wait_for("● connected")
    assert not terminal.pane_dead()

    terminal.keys("C-p")
    terminal.wait_for("Search for commands")
    terminal.type("theme")
    terminal.wait_for("Change the current theme")
    terminal.keys("Enter")
    terminal.wait_for("paper")  # the theme picker lists cockpit's themes
    terminal.type("paper")
    terminal.keys("Enter")
    terminal.wait_until(lambda: settings().get("theme") == "paper", "the theme choice to be saved")
    terminal.wait_for("● connected")
    terminal.keys("q")
    terminal.wait_until(terminal.pane_dead, "the TUI to quit")

    # The choice persists: the next start uses it (the pane's process is a new cockpit).
    again = Terminal(100, 30)
    try:
        again.start(cockpit_argv(), repo, {**terminal_env(), "COLORTERM": "truecolor"})
        again.wait_for("● connected")
        paper = "48;2;246;241;231"  # paper's background, #f6f1e7
        again.wait_until(lambda: paper in again.screen_ansi(), "the paper theme's background")
    finally:
        again.kill()
