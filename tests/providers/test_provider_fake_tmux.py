"""The fake provider's screen patterns on the real fake agent in a real tmux pane.

Private tmux server per test (`-L` with a unique name), killed at teardown.
"""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.runtime.providers import build_launch, load_catalog

pytestmark = pytest.mark.tmux

FAKE = load_catalog(None).get("fake")


class Pane:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], capture_output=True, text=True, check=True)
        return done.stdout

    def screen(self) -> str:
        # Plain capture (no -J): the long result line wraps, as on a narrow pane.
        return self.tmux("capture-pane", "-p", "-t", "w")

    def state_becomes(self, expected: str | None, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if FAKE.patterns.classify(text) == expected:
                return text
            if time.monotonic() > deadline:
                pytest.fail(f"screen never became {expected!r}; last screen:\n{text}")
            time.sleep(0.05)


@pytest.fixture
def pane(tmp_path: Path) -> Iterator[Pane]:
    socket = f"cockpit-test-{uuid.uuid4().hex[:12]}"
    spec = build_launch(FAKE, "interactive", "", tmp_path / "unused")
    assert spec.stdin_path is None
    work = tmp_path / "work"
    work.mkdir()
    handle = Pane(socket)
    command = shlex.join(spec.argv)
    handle.tmux("new-session", "-d", "-s", "w", "-x", "100", "-y", "30", "-c", str(work), command)
    try:
        yield handle
    finally:
        subprocess.run(["tmux", "-L", socket, "-f", "/dev/null", "kill-server"], capture_output=True, check=False)


def test_fake_agent_goes_ready_waiting_idle_in_tmux(pane: Pane) -> None:
    first = pane.state_becomes("ready")
    assert "cockpit fake agent ready" in first

    pane.tmux("send-keys", "-t", "w", "-l", "@fake ask Continue?")
    pane.tmux("send-keys", "-t", "w", *FAKE.interactive.submit_keys)  # type: ignore[union-attr]
    asking = pane.state_becomes("waiting")
    assert "Continue? [y/n]" in asking

    pane.tmux("send-keys", "-t", "w", "-l", "y")
    done = pane.state_becomes("idle")
    assert '"type":"result"' in done.replace("\n", "")

    pane.tmux("send-keys", "-t", "w", "-l", "@fake sleep 3")
    pane.tmux("send-keys", "-t", "w", "Enter")
    busy = pane.state_becomes(None)  # no working pattern: neither idle nor ready while it runs
    assert busy.rstrip().endswith("@fake sleep 3")
    pane.state_becomes("idle")
