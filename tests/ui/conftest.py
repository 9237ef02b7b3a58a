"""Fixtures for the TUI tests: a real repository whose supervisor and private tmux server are
stopped when the test ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.errors import CockpitError
from cockpit.runtime.tmux import TmuxServer
from cockpit.runtime.tmux_names import socket_name_for
from cockpit.service.client import SupervisorClient, supervisor_answers, wait_until_stopped
from cockpit.service.workspace import Workspace


def stop_everything(ws: Workspace) -> None:
    """Stop the repository's supervisor and its private tmux server (never the default one)."""
    if supervisor_answers(ws):
        try:
            SupervisorClient(ws, autostart=False).call("shutdown")
        except CockpitError:
            pass
    # Until its process has ended: one still finishing a worker's start would start the tmux
    # server again after the kill below.
    wait_until_stopped(ws.state, 30)
    TmuxServer(socket_name_for(ws.state.root)).kill_server()
    ws.close()


@pytest.fixture
def workspace(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.chdir(repo)
    ws = Workspace.open(repo)
    yield ws
    stop_everything(ws)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
