"""Fixtures for the tmux tests: a private server per test, and a guard on the user's default server."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.runtime.tmux import TmuxServer


def _socket_path(socket_name: str) -> Path:
    return Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}" / socket_name


def _default_server_state() -> tuple[bool, str | None]:
    """Whether the user's default tmux socket exists, and (read-only) which sessions it has."""
    socket = _socket_path("default")
    if not socket.exists():
        return False, None
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    listing = subprocess.run(
        ["tmux", "-L", "default", "list-sessions", "-F", "#{session_id} #{session_name} #{session_created}"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    return True, f"{listing.returncode}:{listing.stdout}"


@pytest.fixture(scope="session", autouse=True)
def default_tmux_server_untouched() -> Iterator[None]:
    before = _default_server_state()
    yield
    assert _default_server_state() == before, "the tests changed the user's default tmux server"


@pytest.fixture
def tmux_server() -> Iterator[TmuxServer]:
    server = TmuxServer(f"cockpit-test-{uuid.uuid4().hex[:8]}")
    yield server
    server.kill_server()
    assert not server.is_alive()
    # tmux leaves its socket file behind; this name was ours alone, so remove it.
    _socket_path(server.socket_name).unlink(missing_ok=True)
