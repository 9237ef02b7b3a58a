"""`cockpit demo` as a new user meets it: the repository is where it says, its state is in the
normal per-repository place (so `cockpit` inside it later shows the same workers), leaving
says how to stop it, and `cockpit demo --clean` stops and removes everything.

Real processes throughout: the `cockpit` program, its supervisor, tmux on the demo's
private socket, git and the fake agent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.runtime.statedir import StateDir
from cockpit.runtime.tmux import TmuxServer
from cockpit.runtime.tmux_names import socket_name_for
from cockpit.service.client import supervisor_answers
from cockpit.service.workspace import Workspace

pytestmark = pytest.mark.tmux


def cockpit(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cockpit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def demo_dir(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "place" / "my-demo"
    yield where
    if (where / ".git" / "cockpit-demo").exists():  # whatever the test left: stop it, remove it
        cockpit("demo", "--clean", "--dir", str(where), cwd=tmp_path)


def _state_of(repo: Path) -> StateDir:
    ws = Workspace.open(repo, create=False)
    return ws.state


def test_the_demo_lives_where_it_says_and_cockpit_inside_it_shows_the_same_workers(tmp_path: Path, demo_dir: Path) -> None:
    run = cockpit("demo", "--no-tui", "--dir", str(demo_dir), cwd=tmp_path)
    assert run.returncode == 0, run.stderr + run.stdout
    assert f"demo repository: {demo_dir}" in run.stdout
    assert (demo_dir / ".git").is_dir() and (demo_dir / "check.sh").is_file()
    # The state is in the normal per-repository place under the user's state base, not a temporary home.
    state = _state_of(demo_dir)
    assert state.root.parent == Path(os.environ["COCKPIT_HOME"]) and (state.root / "ledger.head").exists()
    assert "COCKPIT_HOME" not in run.stdout  # nothing to export to find it again
    # Later, `cockpit status` inside the repository (a new process, same environment) shows the same workers.
    rows = json.loads(cockpit("status", "--json", cwd=demo_dir).stdout)
    assert len(rows) == 3
    assert "awaiting_approval" in {r["review"] for r in rows}
    assert {r["id"] for r in rows} <= set(run.stdout.split())
    # Leaving tells how to stop it.
    assert "cockpit supervise --stop" in run.stdout and "cockpit demo --clean" in run.stdout


def test_the_default_place_is_the_users_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data-home"
    env = {"XDG_DATA_HOME": str(data)}
    where = data / "cockpit" / "demo"
    try:
        run = cockpit("demo", "--no-tui", cwd=tmp_path, env=env)
        assert run.returncode == 0, run.stderr + run.stdout
        assert f"demo repository: {where}" in run.stdout
        assert (where / ".git" / "cockpit-demo").is_file()
        assert not (tmp_path / "cockpit-demo").exists()
    finally:
        cockpit("demo", "--clean", cwd=tmp_path, env=env)
    assert not where.exists()


def test_an_existing_folder_that_is_not_a_demo_is_refused_and_left_alone(tmp_path: Path, demo_dir: Path) -> None:
    demo_dir.mkdir(parents=True)
    (demo_dir / "mine.txt").write_text("my own file\n")
    for args in (("demo", "--no-tui", "--dir", str(demo_dir)), ("demo", "--clean", "--dir", str(demo_dir))):
        run = cockpit(*args, cwd=tmp_path)
        assert run.returncode == 2
        assert run.stderr.count("\n") == 1 and "is not a cockpit demo" in run.stderr and "Traceback" not in run.stderr
        assert sorted(p.name for p in demo_dir.iterdir()) == ["mine.txt"]
    assert not Path(os.environ["COCKPIT_HOME"]).exists() or not any(Path(os.environ["COCKPIT_HOME"]).iterdir())


def test_clean_stops_the_workers_and_supervisor_and_removes_the_demo(tmp_path: Path, demo_dir: Path) -> None:
    run = cockpit("demo", "--no-tui", "--dir", str(demo_dir), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    ws = Workspace.open(demo_dir, create=False)
    tmux = TmuxServer(socket_name_for(ws.state.root))
    assert supervisor_answers(ws) and tmux.list_panes()  # the asker still waits in its session
    state = ws.state.root
    ws.close()

    again = cockpit("demo", "--no-tui", "--dir", str(demo_dir), cwd=tmp_path)  # a previous demo is replaced
    assert again.returncode == 0 and f"replaced the previous demo at {demo_dir}" in again.stdout
    assert len(json.loads(cockpit("status", "--json", cwd=demo_dir).stdout)) == 3

    cleaned = cockpit("demo", "--clean", "--dir", str(demo_dir), cwd=tmp_path)
    assert cleaned.returncode == 0, cleaned.stderr
    assert f"removed {demo_dir}" in cleaned.stdout
    assert not demo_dir.exists() and not state.exists()
    assert not tmux.is_alive()
    assert cockpit("demo", "--clean", "--dir", str(demo_dir), cwd=tmp_path).stdout.startswith("no cockpit demo")


def test_quitting_the_tui_demo_says_how_to_stop_it_and_cockpit_reopens_the_same_workers(tmp_path: Path, demo_dir: Path) -> None:
    from tests.ui.terminal import Terminal, cockpit_argv, terminal_env

    term = Terminal(120, 36)
    try:
        term.start([*cockpit_argv(), "demo", "--dir", str(demo_dir)], tmp_path, terminal_env())
        term.wait_for("Add a greeting file")  # the TUI, on the demo's workers
        term.wait_for("Migrate the settings format")
        term.keys("q")
        term.wait_until(term.pane_dead, "the demo's TUI to quit")
        screen = term.wait_for("cockpit demo --clean")
        assert f"Its repository: {demo_dir}" in screen.replace("\n", "")
        assert "cockpit supervise --stop" in screen
    finally:
        term.kill()
    # `cockpit` inside the repository later: the same three workers, still there.
    term = Terminal(120, 36)
    try:
        term.start(cockpit_argv(), demo_dir, terminal_env())
        term.wait_for("Upgrade the build tool")
        screen = term.wait_for("Migrate the settings format")
        assert "Add a greeting file" in screen
        term.keys("q")
        term.wait_until(term.pane_dead, "the TUI to quit")
    finally:
        term.kill()
