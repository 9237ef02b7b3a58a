"""Helpers for the fake agent tests: polling, result lines, and a tmux pane on a private server.

A uniquely named module (not conftest) so test files can import it unambiguously."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

AGENT = [sys.executable, "-m", "cockpit.fake_agent"]
POLL_STEP = 0.05
POLL_TIMEOUT = 10.0


def wait_until(condition: Callable[[], Any], what: str, timeout: float = POLL_TIMEOUT) -> Any:
    """Poll until `condition()` is truthy and return it; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(POLL_STEP)


def result_lines(output: bytes) -> list[dict[str, Any]]:
    """Every result event in the output, in order."""
    events = []
    for line in output.split(b"\n"):
        line = line.strip(b"\r")
        if line.startswith(b'{"type":"result"'):
            events.append(json.loads(line))
    return events


def last_result(output: bytes) -> dict[str, Any]:
    lines = output.rstrip(b"\n").split(b"\n")
    event = json.loads(lines[-1])
    assert event["type"] == "result"
    return event


@dataclass
class AgentPane:
    """One tmux session running a command, its output logged from the first byte."""

    socket: str
    session: str
    log: Path
    workdir: Path  # the command's cwd
    exit_file: Path  # the command's exit code, written when it ends

    def tmux(self, *args: str, stdin: bytes | None = None) -> str:
        command = ["tmux", "-L", self.socket, "-f", "/dev/null", *args]
        env = {key: value for key, value in os.environ.items() if key != "TMUX"}
        done = subprocess.run(command, input=stdin, capture_output=True, env=env, timeout=60, check=False)
        assert done.returncode == 0, f"{shlex.join(command)}: {done.stderr.decode(errors='replace')}"
        return done.stdout.decode(errors="replace")

    def output(self) -> bytes:
        return self.log.read_bytes() if self.log.exists() else b""

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-J", "-t", self.session)

    def wait_for_output(self, needle: bytes, *, after: int = 0) -> int:
        """Wait until `needle` appears in the log at or after offset `after`; returns where it ends."""

        def find() -> int:
            position = self.output().find(needle, after)
            return position + len(needle) if position >= 0 else 0

        return int(wait_until(find, f"{needle!r} in the pane output"))

    def wait_for_idle_prompt(self) -> None:
        """The `> ` line is the last thing on screen: the agent waits for a prompt."""
        wait_until(lambda: self.screen().rstrip().splitlines()[-1:] == [">"], "the '> ' prompt")

    def paste(self, data: bytes) -> None:
        """Paste like an operator tool would: a named buffer, bracketed, raw (no LF->CR)."""
        buffer = f"prompt-{uuid.uuid4().hex[:8]}"
        self.tmux("load-buffer", "-b", buffer, "-", stdin=data)
        self.tmux("paste-buffer", "-p", "-r", "-d", "-b", buffer, "-t", self.session)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.session, "-l", text)

    def exit_status(self) -> int | None:
        """The command's exit code once it has ended, else None.

        Read from the file the wrapping shell writes, not from #{pane_dead_status}:
        tmux 3.3a sometimes leaves that empty for good after the pane died.
        """
        text = self.exit_file.read_text() if self.exit_file.exists() else ""
        return int(text) if text.endswith("\n") else None

    def wait_for_exit(self) -> int:
        def status() -> tuple[int] | None:
            code = self.exit_status()
            return None if code is None else (code,)  # a tuple: exit code 0 must count as "done"

        return int(wait_until(status, "the agent to exit")[0])

    def results(self) -> list[dict[str, Any]]:
        return result_lines(self.output())


RunAgent = Callable[..., "subprocess.CompletedProcess[bytes]"]


# A fixture that starts the fake agent in a tmux pane (see conftest.start_pane).
StartPane = Callable[..., AgentPane]
