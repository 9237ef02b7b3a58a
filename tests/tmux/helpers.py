"""Shared helpers for the tmux tests: start a worker through the real launcher, wait on conditions."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from cockpit.runtime.tmux import PaneInfo, TmuxServer, gate_name, write_launch_spec

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], *, timeout: float = 60.0, step: float = 0.02, what: str = "") -> T:
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(step)


@dataclass
class Worker:
    name: str
    directory: Path
    spec_path: Path
    log_path: Path

    def log(self) -> bytes:
        return self.log_path.read_bytes()


def start_worker(
    server: TmuxServer,
    base: Path,
    name: str,
    argv: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin_path: Path | None = None,
    prompt_path: Path | None = None,
    prompt_arg_index: int | None = None,
    directory_name: str | None = None,
    spec_name: str = "spec.json",
    log_name: str = "out.log",
) -> Worker:
    directory = base / (directory_name or name)
    directory.mkdir(parents=True, exist_ok=True)
    spec_path = directory / spec_name
    log_path = directory / log_name
    write_launch_spec(
        spec_path,
        socket=server.socket_name,
        gate=gate_name(name),
        argv=argv,
        env=dict(os.environ) if env is None else env,
        cwd=cwd or directory,
        stdin_path=stdin_path,
        prompt_path=prompt_path,
        prompt_arg_index=prompt_arg_index,
    )
    server.start_session(name, cwd=cwd or directory, spec_path=spec_path, log_path=log_path)
    return Worker(name, directory, spec_path, log_path)


def pane_of(server: TmuxServer, name: str) -> PaneInfo | None:
    return next((pane for pane in server.list_panes() if pane.session == name), None)


def wait_exited(server: TmuxServer, name: str, *, timeout: float = 60.0) -> PaneInfo:
    """Wait until the worker's pane is dead with its exit status or signal known."""

    def finished() -> PaneInfo | None:
        pane = pane_of(server, name)
        if pane and pane.dead and (pane.dead_status is not None or pane.dead_signal is not None):
            return pane
        return None

    return wait_until(finished, timeout=timeout, what=f"worker {name} to exit")


def wait_log(worker: Worker, expected: bytes, *, timeout: float = 60.0) -> bytes:
    """Wait until the log holds `expected` (the pipe's `cat` may lag the pane by a few ms)."""
    wait_until(lambda: expected in worker.log(), timeout=timeout, what=f"{expected[:40]!r} in {worker.log_path}")
    return worker.log()


def tmux_raw(server: TmuxServer, *args: str) -> subprocess.CompletedProcess[str]:
    """A direct tmux call on the test's private server, for checks the adapter does not offer."""
    return subprocess.run([server.tmux_bin, "-L", server.socket_name, *args], capture_output=True, text=True)
