"""Helpers the SSH-host tests import by name (a module of its own: `conftest` is ambiguous
when several test directories are collected together)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from netns_lab import NetnsLab

VENV_BIN = str(Path(sys.executable).parent)  # where cockpit-fake-agent is installed


def hosts_yaml(lab: NetnsLab, *, fake_on: tuple[str, ...] = ("h1", "h2", "h3"), capacity: int = 2) -> str:
    """A hosts file for the lab; the fake agent is on the PATH (through `env`) of `fake_on` only."""
    out = ["hosts:"]
    for alias, host in lab.hosts.items():
        path = f"{VENV_BIN}:/usr/bin:/bin" if alias in fake_on else "/usr/bin:/bin"
        out += [
            f"  {alias}:",
            f"    ssh: {alias}",
            f"    root: {host.root}",
            f"    capacity: {capacity}",
            f"    labels: [lab, {alias}-only]",
            f'    env: {{PATH: "{path}"}}',
        ]
    return "\n".join(out) + "\n"


def write_user_hosts(text: str) -> Path:
    """The user's hosts file (under the test's XDG_CONFIG_HOME) holding `text`."""
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "cockpit" / "hosts.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def git(cwd: Path | str, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def wait_for(check, timeout: float = 60, what=lambda: ""):  # noqa: ANN001, ANN201
    """`check()`'s first true value within `timeout` s; else fail, saying `what()`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met in time: {what()}")
