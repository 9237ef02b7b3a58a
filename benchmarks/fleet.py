"""A fleet of idle interactive fake agents under one supervisor, and the peer poller beside it.

The idle-CPU and status-latency benchmarks share it: starting 50 agents is the slow part.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.procstat import all_stats, descendants, tree_cpu_seconds, wait_for
from benchmarks.sandbox import Sandbox, settle
from benchmarks.tui_term import OpenTui

READY_PROMPT = "@fake say ready"
SETTLE_S = 1.0  # after a (re)start: re-adoption checks every screen once (plus SETTLE_PER_WORKER_S each)
SETTLE_PER_WORKER_S = 0.04


class Fleet:
    def __init__(self, box: Sandbox, size: int, log: Log) -> None:
        self.box = box
        self.size = size
        self.log = log
        self.ids: list[str] = []
        self.worktrees: dict[str, str] = {}
        self.tui: OpenTui | None = None  # an open `cockpit ui`, counted in cockpit's CPU (bench_fleet opens it)

    def start(self) -> None:
        box = self.box
        box.start_supervisor()
        started = time.monotonic()
        for _ in range(self.size):
            view = box.dispatch(READY_PROMPT, mode="interactive", task={"risk": "low"})
            self.ids.append(view["id"])
            self.worktrees[view["id"]] = view["worktree"]
        for dispatch_id in self.ids:
            box.wait(dispatch_id, "idle", timeout=180)
        self.log(f"{self.size} interactive fake agents idle after {time.monotonic() - started:.1f} s")
        settle(SETTLE_S + SETTLE_PER_WORKER_S * self.size)

    def check_alive(self) -> None:
        """Every agent of the fleet is still live: the figures were taken with all of them."""
        live = {"starting", "working", "waiting", "idle"}
        states = {row["id"]: row["state"] for row in self.box.call("status")}
        gone = [i for i in self.ids if states.get(i) not in live]
        if gone:
            raise RuntimeError(f"{len(gone)} of {self.size} agents are no longer live: {gone[:5]}")

    # -- CPU accounting ------------------------------------------------------------------

    def _tmux_parts(self) -> tuple[int, list[int]]:
        """(tmux server pid, its children that are not agents: the pipe-pane log writers)."""
        server = self.box.tmux_server_pid()
        panes = self.box.pane_pids()
        stats = all_stats()
        helpers = [s.pid for s in stats.values() if s.ppid == server and s.pid not in panes]
        return server, helpers

    def cockpit_cpu(self) -> float:
        """The supervisor and its children, the tmux server itself, cockpit's log pipes and the open TUI.

        The agents (pane processes) are not cockpit's cost and are left out on both sides. The
        TUI's terminal (the tmux server it is drawn in) plays the operator's terminal emulator
        and is not counted; the TUI process is.
        """
        assert self.box.supervisor is not None
        server, helpers = self._tmux_parts()
        tui = [self.tui.pid] if self.tui is not None else []
        return tree_cpu_seconds([self.box.supervisor.pid, *helpers, *tui], own_only=[server])

    def tui_cpu(self) -> float:
        """The open TUI's part of `cockpit_cpu` (0 when none is open)."""
        return tree_cpu_seconds([self.tui.pid]) if self.tui is not None else 0.0

    def poller_cpu(self, poller: subprocess.Popen[bytes]) -> float:
        """The poller and its children (tmux clients, git), and the tmux server serving them."""
        server, _ = self._tmux_parts()
        return tree_cpu_seconds([poller.pid], own_only=[server])

    # -- switching sides -----------------------------------------------------------------

    @contextmanager
    def supervisor_down(self) -> Iterator[None]:
        """Stop the supervisor (the agents keep running in tmux); restart it and let it settle after.

        An open TUI is closed first and opened again after: left open, its client would start
        a supervisor of its own as soon as the connection dropped.
        """
        if self.tui is not None:
            self.tui.close()
        self.box.stop_supervisor()
        try:
            yield
        finally:
            self.box.start_supervisor()
            if self.tui is not None:
                self.tui.open()
            settle(SETTLE_S + SETTLE_PER_WORKER_S * self.size)

    @contextmanager
    def poller(self, *, detect: bool = False) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
        events = self.box.root / "poller-events.ndjson"
        events.write_text("")
        config = self.box.root / "poller.json"
        config.write_text(
            json.dumps(
                {
                    "socket": self.box.socket,
                    "interval": 0.5,
                    "detect": detect,
                    "events": str(events),
                    "targets": [{"session": i, "worktree": self.worktrees[i]} for i in self.ids],
                }
            )
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.peer_poller", str(config)],
            cwd=Path(__file__).resolve().parent.parent,
            stdin=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.7)  # its interpreter start-up is not part of the loop's cost
            yield proc, events
            if proc.poll() is not None:
                raise RuntimeError(f"the peer poller died (exit {proc.returncode}): its figures are void")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            wait_for(lambda: not descendants(proc.pid), 5, what="the poller's children to end")

    # -- driving one agent directly through tmux (as a person at the pane would) ---------

    def type_text(self, dispatch_id: str, text: str) -> None:
        self.box.tmux("send-keys", "-t", f"={dispatch_id}:", "-l", text)

    def press(self, dispatch_id: str, key: str) -> None:
        self.box.tmux("send-keys", "-t", f"={dispatch_id}:", key)

    def last_line(self, dispatch_id: str) -> str:
        lines = [x for x in self.box.tmux("capture-pane", "-p", "-t", f"={dispatch_id}:").splitlines() if x.strip()]
        return lines[-1] if lines else ""


class Log:
    """Progress lines on stderr, so stdout keeps only the table."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, text: str) -> None:
        print(f"[{self.name}] {text}", file=sys.stderr, flush=True)


def cpu_per_minute(measure: Callable[[], float], window: float) -> float:
    """CPU seconds per minute spent over one window of `window` seconds."""
    before, t0 = measure(), time.monotonic()
    time.sleep(window)
    after, t1 = measure(), time.monotonic()
    return (after - before) / (t1 - t0) * 60.0
