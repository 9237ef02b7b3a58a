"""Helpers for the worker tests (a module name of its own: `conftest` is taken by many folders)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def wait_for(condition, what: str, limit: float = 30.0):
    deadline = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {limit} s waiting for {what}"
        time.sleep(0.05)


def agent_processes(cockpit, dispatch_id: str) -> list[int]:
    """The agent and its descendants: every process under the launcher (the pane's process)."""
    launcher = json.loads((cockpit.ws.state.dispatch_dir(dispatch_id) / "proc.json").read_text())["pid"]
    found, stack = [], [launcher]
    while stack:
        pid = stack.pop()
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        found += [int(c) for c in children]
        stack += [int(c) for c in children]
    return found


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def supervisor_pid(cockpit) -> int:
    return int(cockpit.call("ping")["pid"])


def wait_gone(pid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} is still alive")
