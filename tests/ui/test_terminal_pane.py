"""The output pane in a real terminal (the real `cockpit` in a tmux pane on a private server)
against a worker printing fast: it follows the tail like `tail -f`, holds still while the
operator reads above, says how many lines arrived meanwhile, and End catches up."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.service.client import SupervisorClient
from cockpit.service.workspace import Workspace

from .terminal import Terminal, cockpit_argv, terminal_env

pytestmark = [pytest.mark.tmux, pytest.mark.terminal]

TOTAL = 3000
RATE = 100  # lines a second: 30 s of output, far more than the test watches


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(120, 36)
    yield term
    term.kill()


def last_line(text: str) -> int:
    """The highest N of "line N of TOTAL" in `text` (0 if none)."""
    return max((int(n) for n in re.findall(rf"line (\d+) of {TOTAL}", text)), default=0)


def catch_up_time(terminal: Terminal, log: Path, *, limit: float = 30.0) -> float:
    """Seconds from the log holding line N to the screen showing line N (or a later one)."""
    deadline = time.monotonic() + limit
    target = 0
    seen_at = 0.0
    while time.monotonic() < deadline:
        if not target:
            target = last_line(log.read_text(errors="replace"))
            seen_at = time.monotonic()
        elif last_line(terminal.screen()) >= target:
            return time.monotonic() - seen_at
        time.sleep(0.01)
    raise AssertionError(f"the pane never showed line {target}; the terminal shows:\n{terminal.screen()}")


def test_the_pane_follows_a_fast_worker_and_end_catches_up(workspace: Workspace, repo: Path, terminal: Terminal) -> None:
    worker = SupervisorClient(workspace).call("dispatch", prompt=f"@fake lines {TOTAL} {RATE}", actor="test")["id"]
    log = workspace.state.log(worker)
    terminal.start(cockpit_argv(), repo, terminal_env())
    terminal.wait_until(lambda: last_line(terminal.screen()) > 50, "the pane to show the worker's output")

    # Following: the screen keeps showing what the log has (how fast is benchmarks/bench_tui_pane.py's).
    for _ in range(5):
        catch_up_time(terminal, log)

    # The operator scrolls up: the pane holds still and counts what arrives meanwhile.
    terminal.keys("Tab")  # focus moves from the workers to the pane
    terminal.wait_for("output")
    terminal.keys("PageUp", "PageUp")
    held = terminal.wait_for("new lines")
    time.sleep(0.5)
    assert last_line(terminal.screen()) == last_line(held), "the pane moved while the operator read above"
    assert last_line(terminal.screen()) < last_line(log.read_text()) - 20
    assert re.search(r"\d+ new lines", terminal.screen())

    # End: back to the tail, and following again.
    terminal.keys("End")
    terminal.wait_until(lambda: "new lines" not in terminal.screen(), "the 'new lines' note to go")
    for _ in range(5):  # following again
        catch_up_time(terminal, log)


def test_an_exited_worker_opens_at_its_last_line(workspace: Workspace, repo: Path, terminal: Terminal) -> None:
    client = SupervisorClient(workspace)
    worker = client.call("dispatch", prompt="@fake lines 300", actor="test")["id"]
    deadline = time.monotonic() + 60
    while client.call("show", id=worker)["state"] != "exited" and time.monotonic() < deadline:
        time.sleep(0.1)
    terminal.start(cockpit_argv(), repo, terminal_env())
    terminal.wait_for("exited")
    terminal.wait_for("line 300 of 300")
