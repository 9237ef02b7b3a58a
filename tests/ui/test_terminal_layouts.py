"""The real `cockpit` in real terminals of the sizes people use (a tmux pane on a private
server): at 80x24, 160x45 and 220x60 the row says what the gates concluded, the footer keeps
help and quit, and the approve dialog's buttons are on screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.service.client import SupervisorClient
from cockpit.service.workspace import Workspace

from .terminal import Terminal, cockpit_argv, terminal_env

pytestmark = [pytest.mark.tmux, pytest.mark.terminal]


@pytest.mark.parametrize("size", [(80, 24), (160, 45), (220, 60)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_layout_works_at_common_sizes(workspace: Workspace, repo: Path, size: tuple[int, int]) -> None:
    client = SupervisorClient(workspace)
    worker = client.call("dispatch", prompt="Ship it\n@fake write hello.txt hi\n@fake commit add hello", actor="test")["id"]
    terminal = Terminal(*size)
    try:
        terminal.start(cockpit_argv(), repo, terminal_env())
        try:
            terminal.wait_for("approve?", timeout=90)  # the worker exited 0 and its gates passed
        except AssertionError as exc:  # the whole screen, and whether the supervisor got there (or only the board did not)
            shown = client.call("show", id=worker)
            said = {k: shown.get(k) for k in ("state", "review", "exit_code", "as_of_seq")}
            raise AssertionError(f"the supervisor says {said}\n{exc}") from None
        footer = terminal.screen().rstrip("\n").splitlines()[-1]
        assert "? help" in footer and "q quit" in footer, footer
        terminal.keys("a")
        dialog = terminal.wait_for("Approve (y)")
        assert "What will happen" in dialog and "hello.txt" in dialog
        terminal.keys("Escape")
        terminal.back_on_board(f"Approve {worker}:", "the dialog to close")  # its title: a toast can hide its buttons
        terminal.keys("q")
        terminal.wait_until(terminal.pane_dead, "the TUI to quit")
    finally:
        client.close()
        terminal.kill()
