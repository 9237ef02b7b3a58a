"""Stray keys on the board, in a real terminal (the real `cockpit` in a tmux pane on a private
server): characters that mean nothing, and keys whose action does not apply to the selected
worker, change nothing: no toast, no dialog, no crash, the same screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.ledger import iter_receipts
from cockpit.service.client import SupervisorClient
from cockpit.service.workspace import Workspace

from .terminal import Terminal, cockpit_argv, terminal_env

pytestmark = [pytest.mark.tmux, pytest.mark.terminal]

STRAY_TEXT = ["z", "Z", "1", "%", "é", "~", "`", "ü", "日", "+", "-", "=", ","]
# Keys of actions that need a live or waiting worker: the selected one has exited.
NOT_APPLICABLE = ["y", "Y", "k", "s", "Enter"]
STRAY_KEYS = ["F5", "C-e", "Tab", "BTab", "Left", "Right", "PageDown", "PageUp"]


def test_stray_keys_on_the_board_change_nothing(workspace: Workspace, repo: Path) -> None:
    client = SupervisorClient(workspace)
    dispatch_id = client.call("dispatch", prompt="@fake say nothing to change", actor="test")["id"]
    assert client.call("wait", id=dispatch_id, until="no_changes", timeout=60)["reached"]
    terminal = Terminal(100, 30)
    try:
        terminal.start(cockpit_argv(), repo, terminal_env())
        terminal.wait_for("no changes")
        terminal.wait_for("nothing to change")  # the pane shows the worker's output: everything is drawn
        terminal.wait_for("blocked: nothing to promote")  # the gates panel has the review
        terminal.wait_until(lambda: "output:" in terminal.screen(), "the pane's title")
        before = terminal.screen()
        for text in STRAY_TEXT:
            terminal.type(text)
        terminal.keys(*NOT_APPLICABLE)
        terminal.keys(*STRAY_KEYS)
        # Keys are handled in order: once help is up, every stray key before it has been handled.
        terminal.keys("?")
        terminal.wait_for("Keys (esc closes)")
        terminal.keys("Escape")
        try:
            terminal.wait_until(lambda: terminal.screen() == before, "the board to look as before the stray keys", timeout=60)
        except AssertionError as exc:
            changed = [
                f"{i:>2}: {a!r}\n -> {b!r}"
                for i, (a, b) in enumerate(zip(before.splitlines(), terminal.screen().splitlines(), strict=False))
                if a != b
            ]
            raise AssertionError("\n".join(changed) + f"\n{exc}") from None
        assert not terminal.pane_dead() and "Traceback" not in terminal.screen()
        # And nothing was asked of the supervisor on the worker's behalf.
        kinds = {r.kind for _, r in iter_receipts(workspace.state.ledger_dir) if r.dispatch == dispatch_id}
        assert not kinds & {"input_sent", "answered", "killed", "gate_started", "rejected"}, kinds
        terminal.keys("q")
        terminal.wait_until(terminal.pane_dead, "the TUI to quit")
    finally:
        client.close()
        terminal.kill()
