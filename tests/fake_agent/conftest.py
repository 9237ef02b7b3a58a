"""Fixtures for the fake agent: run it headless as a real subprocess, or interactively
in a real tmux pane on a private server (never the user's default tmux)."""

from __future__ import annotations

import shlex
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_agent_helpers import AGENT, AgentPane, RunAgent, StartPane


@pytest.fixture
def run_agent(tmp_path: Path) -> RunAgent:
    """Run the fake agent headless in `tmp_path/work` (or `cwd`) and return the finished process."""
    workdir = tmp_path / "work"
    workdir.mkdir()

    def run(
        *args: str,
        stdin: bytes | None = None,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        detach_terminal: bool = False,
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*AGENT, *args],
            cwd=cwd or workdir,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            env=env,
            timeout=30,
            start_new_session=detach_terminal,  # no controlling terminal: /dev/tty cannot open
            check=False,
        )

    return run


@pytest.fixture
def workdir(run_agent: RunAgent, tmp_path: Path) -> Path:
    return tmp_path / "work"


@pytest.fixture
def start_pane(tmp_path: Path) -> Iterator[StartPane]:
    """Start a shell command line in a tmux session on a private server, killed at teardown."""
    socket = f"cockpit-test-{uuid.uuid4().hex[:12]}"
    workdir = tmp_path / "pane-work"
    workdir.mkdir()
    started: list[AgentPane] = []

    def start(command_line: str, *, afterwards: str = "") -> AgentPane:
        """Run `command_line`, then the shell snippet `afterwards`, then record the exit code."""
        session = f"agent{len(started)}"
        pane = AgentPane(socket, session, tmp_path / f"{session}.log", workdir, tmp_path / f"{session}.exit")
        wrapped = f"{command_line}; status=$?; {afterwards or ':'}; echo $status > {shlex.quote(str(pane.exit_file))}"
        # One tmux invocation: the log is in place before any output is read.
        pane.tmux(
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "160",
            "-y",
            "48",
            "-c",
            str(workdir),
            wrapped,
            ";",
            "set-option",
            "-t",
            session,
            "remain-on-exit",
            "on",
            ";",
            "pipe-pane",
            "-O",
            "-t",
            session,
            f"cat >> {shlex.quote(str(pane.log))}",
        )
        started.append(pane)
        return pane

    yield start
    tmux = ["tmux", "-L", socket, "-f", "/dev/null"]
    found = subprocess.run([*tmux, "display-message", "-p", "#{socket_path}"], capture_output=True, text=True)
    subprocess.run([*tmux, "kill-server"], capture_output=True, check=False)
    if found.returncode == 0 and found.stdout.strip():
        Path(found.stdout.strip()).unlink(missing_ok=True)  # tmux 3.3 leaves the socket file behind
