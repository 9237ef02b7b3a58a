"""A newcomer's whole first session, in a real terminal of the sizes people use (a tmux pane on a
private server, the real `cockpit` program): the README's `cockpit demo`, answer the waiting
worker, look at a diff, approve, tear down, a new dispatch with a plain prompt, quit, and
`cockpit` again in the demo repository. No crash, no toast that outlived its news, no worker lost."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.service.client import SupervisorClient
from cockpit.service.workspace import Workspace

from .terminal import Terminal, cockpit_argv, terminal_env

pytestmark = [pytest.mark.tmux, pytest.mark.terminal, pytest.mark.slow]

SIZES = [(80, 24), (160, 45)]


@pytest.fixture
def demo_dir(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "my-demo"
    yield where
    if (where / ".git").exists():  # stop its supervisor and workers, remove it
        subprocess.run([*cockpit_argv(), "demo", "--clean", "--dir", str(where)], cwd=tmp_path, capture_output=True, timeout=120)


def views(repo: Path) -> dict[str, dict]:
    ws = Workspace.open(repo, create=False)
    client = SupervisorClient(ws, autostart=False)
    try:
        return {v["id"]: v for v in client.call("status", all=True)}
    finally:
        client.close()
        ws.close()


def by_title(repo: Path, start: str) -> dict:
    found = [v for v in views(repo).values() if v["title"].startswith(start)]
    assert len(found) == 1, (start, views(repo))
    return found[0]


def git_show(repo: Path, what: str) -> str:
    return subprocess.run(["git", "show", what], cwd=repo, capture_output=True, text=True).stdout


def no_crash(terminal: Terminal) -> None:
    screen = terminal.screen()
    assert not terminal.pane_dead() and "Traceback" not in screen, screen


def top(terminal: Terminal) -> tuple[str, str]:
    """The header line and the line under it ("─workers…" unless the filter box is open)."""
    lines = terminal.screen().splitlines() + ["", ""]
    return lines[0], lines[1]


def select(terminal: Terminal, dispatch_id: str) -> None:
    """Select one worker the way a user can at any size: filter the board down to it (`/`).

    It returns only once the TUI has read every key: the header says `filter: <id>` and the box
    is closed (Enter was read). The pane may already show that worker (a new dispatch is selected),
    so "output: <id>" alone proves nothing, and keys sent next would meet a TUI still reading these."""
    terminal.keys("/")
    terminal.wait_for("filter:")
    terminal.type(dispatch_id)
    terminal.keys("Enter")
    terminal.wait_until(
        lambda: f"filter: {dispatch_id}" in (lines := top(terminal))[0] and lines[1].startswith("─workers"),
        f"the board filtered to {dispatch_id}, the box closed",
    )
    terminal.wait_for(f"output: {dispatch_id}")  # the pane follows the selection


def clear_filter(terminal: Terminal, hidden_title: str) -> None:
    """Escape clears the filter: the header has no `filter:`, the box is closed, and a worker the
    filter hid is back. Escape is read only after Textual's escape delay (a key sent before that
    reaches the TUI together with it, as alt+key), so the next key waits for this."""
    terminal.keys("Escape")

    def cleared() -> bool:
        header, under = top(terminal)
        return "filter:" not in header and under.startswith("─workers") and hidden_title in terminal.screen()

    terminal.wait_until(cleared, "the filter to clear")


def gone(terminal: Terminal, text: str, what: str, timeout: float = 30.0) -> None:
    terminal.wait_until(lambda: text not in terminal.screen(), what, timeout=timeout)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_newcomers_first_session(tmp_path: Path, demo_dir: Path, size: tuple[int, int]) -> None:
    terminal = Terminal(*size)
    again = Terminal(*size)
    try:
        # The README: `cockpit demo` opens the TUI on a demo repository with three workers.
        terminal.start([*cockpit_argv(), "demo", "--dir", str(demo_dir)], tmp_path, terminal_env())
        terminal.wait_for("WAITING", timeout=90)  # the second worker asks a question
        terminal.wait_for("approve?", timeout=90)  # the first one's gates passed
        asker = by_title(demo_dir, "Migrate the settings")["id"]
        editor = by_title(demo_dir, "Add a greeting")["id"]
        failer = by_title(demo_dir, "Upgrade the build")["id"]

        # Answer the waiting worker: it goes on, and no "waiting" toast outlives the question.
        select(terminal, asker)
        terminal.wait_for("Rewrite settings.ini in place? [y/n]")  # its live terminal
        terminal.keys("y")
        terminal.wait_until(lambda: views(demo_dir)[asker]["state"] != "waiting", "the answer to reach the worker")
        gone(terminal, "is waiting for input", "the waiting toast to go once answered")
        gone(terminal, "WAITING", "the row to stop saying WAITING")
        clear_filter(terminal, "Add a greeting")

        # The diff of the edited work, then approve it.
        select(terminal, editor)
        terminal.keys("d")
        terminal.wait_for(f"diff of {editor}")
        terminal.wait_for("+Hello from cockpit!")  # the highlighted unified diff
        terminal.keys("Escape")
        terminal.wait_for(f"output: {editor}")
        terminal.keys("a")
        dialog = terminal.wait_for("Approve (y)")
        assert "What will happen" in dialog and "greeting.txt" in dialog, dialog
        terminal.keys("y")
        terminal.wait_until(lambda: git_show(demo_dir, "main:greeting.txt") == "Hello from cockpit!\n", "the merge into main")
        terminal.wait_for("merged")
        gone(terminal, "a promotion is ready", "the promotion toast to go once merged")

        # Tear the merged worker down: it leaves the board, its receipts stay.
        terminal.keys("t")
        terminal.wait_for("Tear down (y)")
        terminal.keys("y")
        terminal.wait_until(lambda: views(demo_dir)[editor].get("teardown"), "the teardown")
        clear_filter(terminal, "Migrate the")
        terminal.wait_for("2 workers")
        no_crash(terminal)

        # A new dispatch with a plain prompt: the fake agent writes and commits a file named after it.
        terminal.keys("n")
        terminal.wait_for("New dispatch")
        terminal.type("Write a haiku about tmux")
        terminal.keys("C-s")
        terminal.wait_for("3 workers")
        haiku = by_title(demo_dir, "Write a haiku about tmux")
        terminal.wait_until(lambda: views(demo_dir)[haiku["id"]]["review"] == "awaiting_approval", "the haiku to be reviewed", 90)
        assert "Write a haiku about tmux" in git_show(demo_dir, f"{haiku['branch']}:write-a-haiku-about.txt")
        select(terminal, haiku["id"])
        terminal.wait_for("done: wrote write-a-haiku-about.txt")  # its output, in the pane
        terminal.wait_for("approve?")
        clear_filter(terminal, "Migrate the")
        no_crash(terminal)

        # Quit: the workers go on, and the terminal says how to stop them.
        terminal.keys("q")
        terminal.wait_until(terminal.pane_dead, "the TUI to quit")
        farewell = terminal.screen()
        assert "cockpit demo --clean" in farewell and "Traceback" not in farewell, farewell

        # `cockpit` again, inside the demo repository: the same workers, no old toasts.
        before = views(demo_dir)
        again.start(cockpit_argv(), demo_dir, terminal_env())
        screen = again.wait_for("3 workers")
        again.wait_for("approve?")
        assert not any(t in again.screen() for t in ("is waiting for input", "promotion is ready", "failed")), again.screen()
        after = views(demo_dir)
        assert set(after) == set(before) == {editor, asker, failer, haiku["id"]}, (before, after)
        assert not any(v["state"] == "lost" for v in after.values()), after
        assert after[failer]["state"] == "exited" and after[failer]["exit_code"] == 3
        assert after[editor]["review"] == "promoted" and after[editor]["teardown"]
        assert "Traceback" not in screen
        again.keys("q")
        again.wait_until(again.pane_dead, "the second TUI to quit")
    finally:
        terminal.kill()
        again.kill()
