"""A conformance run leaves nothing running, wherever tmux keeps its sockets ($TMUX_TMPDIR).

The run's supervisor once got an environment without TMUX_TMPDIR, so its tmux server lived in
/tmp/tmux-UID while the run's clean-up looked under $TMUX_TMPDIR: the server, and the worker
on it, outlived the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.modelservice.profiles import PROFILES
from cockpit.runtime.tmux_names import socket_name_for, socket_path
from cockpit.service.conformance import Run


@pytest.fixture
def tmux_tmpdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Short, under /tmp: a socket path must fit in 108 bytes, and tmp_path's are long.
    tmpdir = Path(tempfile.mkdtemp(prefix="cockpit-tmuxtmp-"))
    monkeypatch.setenv("TMUX_TMPDIR", str(tmpdir))
    yield tmpdir
    shutil.rmtree(tmpdir, ignore_errors=True)


def ended(pid: int, timeout: float = 30) -> bool:
    """Whether the process ends within `timeout` (a killed server or CLI takes a moment)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def server_and_pane(socket: str, dispatch_id: str, timeout: float = 60) -> tuple[int, int]:
    """The pids of the tmux server (as found under this process's TMUX_TMPDIR) and of the
    worker's pane, once the worker's session is there."""
    deadline = time.monotonic() + timeout
    while True:
        shown = subprocess.run(
            ["tmux", "-L", socket, "display-message", "-p", "-t", f"={dispatch_id}:", "#{pid} #{pane_pid}"],
            capture_output=True,
            text=True,
        )
        if shown.returncode == 0:
            server, pane = shown.stdout.split()
            return int(server), int(pane)
        if time.monotonic() > deadline:
            raise AssertionError(f"no session {dispatch_id} on tmux -L {socket} under $TMUX_TMPDIR: {shown.stderr.strip()}")
        time.sleep(0.1)


def test_a_run_stops_its_tmux_server_and_worker_under_a_private_tmux_tmpdir(cli_binaries, tmux_tmpdir: Path) -> None:
    case = PROFILES["claude"].case("headless", "hang")  # the CLI waits on the model for ever: alive at the end
    with Run("claude", "headless", case, cli_binaries.path("claude")) as run:
        assert run.state is not None
        out = run.cockpit("dispatch", case.prompt, "--provider", "claude", "--headless", "--risk", "low")
        assert out.returncode == 0, out.stderr
        dispatch_id = out.stdout.strip()
        socket = socket_name_for(run.state.root)
        server, pane = server_and_pane(socket, dispatch_id)
        assert socket_path(socket).parent == tmux_tmpdir / f"tmux-{os.getuid()}"
        assert socket_path(socket).is_socket()
    assert ended(server), f"the run's tmux server {server} outlived the run"
    assert ended(pane), f"the run's worker {pane} outlived the run"
    assert not socket_path(socket).exists()  # and its socket file went with it
