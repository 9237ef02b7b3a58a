"""Ending a worker's whole process tree, verified through /proc.

Closing a tmux pane only sends SIGHUP to its foreground process group. An agent that
ignores SIGHUP (gemini's node process did) keeps running, and so do children it forked,
re-parented to PID 1 once their parent is gone. So a kill here:
  1. takes ONE snapshot of /proc while the tree is still intact and picks every process
     that belongs to the worker: in its session or process group (recorded by the
     launcher at start), or a descendant of one of those by parent pid (which finds
     children that called setsid), plus cockpit's own exit watcher;
  2. sends SIGTERM to each, waits up to a grace period for them to go;
  3. sends SIGKILL to what is left and checks /proc again that nothing is.
A process is identified by (pid, start time), so a pid reused meanwhile is never hit.
A zombie counts as gone: it runs nothing and holds nothing but its exit status.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.runtime.launch import PROC_INFO_NAME

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    ppid: int
    pgid: int
    sid: int
    start: int  # clock ticks after boot: with the pid, a process's identity
    state: str
    comm: str


@dataclass
class TreeKill:
    """What a kill did: every process it found, how each ended, and what (if anything) survived."""

    found: list[ProcInfo] = field(default_factory=list)
    ended_by: dict[int, str] = field(default_factory=dict)  # pid -> "SIGTERM" | "SIGKILL" | "already gone"
    survivors: list[ProcInfo] = field(default_factory=list)
    grace_s: float = 0.0

    def processes(self) -> list[dict[str, object]]:
        return [{"pid": p.pid, "comm": p.comm, "ended_by": self.ended_by.get(p.pid, "?")} for p in self.found]

    def sentence(self) -> str:
        """One line for the CLI: what was killed and how."""
        if not self.found:
            return "no process of it was left running"
        by_term = [p for p in self.found if self.ended_by.get(p.pid) == "SIGTERM"]
        by_kill = [p for p in self.found if self.ended_by.get(p.pid) == "SIGKILL"]
        parts = []
        if by_term:
            parts.append(f"{_names(by_term)} ended on SIGTERM")
        if by_kill:
            parts.append(f"{_names(by_kill)} needed SIGKILL after {self.grace_s:g} s")
        text = f"{len(self.found)} process(es): " + "; ".join(parts or ["all had already exited"])
        if self.survivors:
            text += f"; STILL RUNNING: {_names(self.survivors)}"
        else:
            text += "; none left (checked in /proc)"
        return text


def _names(procs: list[ProcInfo]) -> str:
    return ", ".join(f"{p.comm}[{p.pid}]" for p in procs)


def read_stat(pid: int) -> ProcInfo | None:
    """One process's /proc/<pid>/stat, or None when it does not exist (any more)."""
    try:
        raw = (PROC / str(pid) / "stat").read_bytes().decode("utf-8", "replace")
    except OSError:
        return None
    # comm is in parentheses and may itself hold spaces or parentheses: split at the LAST ')'.
    left, _, rest = raw.rpartition(")")
    comm = left.partition("(")[2]
    fields = rest.split()
    try:
        return ProcInfo(
            pid=pid,
            state=fields[0],
            ppid=int(fields[1]),
            pgid=int(fields[2]),
            sid=int(fields[3]),
            start=int(fields[19]),
            comm=comm,
        )
    except (IndexError, ValueError):
        return None


def snapshot() -> dict[int, ProcInfo]:
    procs: dict[int, ProcInfo] = {}
    for entry in os.scandir(PROC):
        if entry.name.isdigit() and (info := read_stat(int(entry.name))) is not None:
            procs[info.pid] = info
    return procs


def tree_of(procs: dict[int, ProcInfo], roots: set[int], groups: set[int]) -> list[ProcInfo]:
    """Processes in a session or process group in `groups`, the `roots`, and all their descendants."""
    groups = {g for g in groups if g > 1}
    chosen = {p.pid for p in procs.values() if p.sid in groups or p.pgid in groups}
    chosen |= {pid for pid in roots if pid in procs}
    children: dict[int, list[int]] = {}
    for p in procs.values():
        children.setdefault(p.ppid, []).append(p.pid)
    stack = list(chosen)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in chosen:
                chosen.add(child)
                stack.append(child)
    chosen.discard(os.getpid())  # never ourselves, whatever a caller passed
    return sorted((procs[pid] for pid in chosen), key=lambda p: p.pid)


def alive(p: ProcInfo) -> bool:
    """Still running as the same process (a zombie or a reused pid does not count)."""
    now = read_stat(p.pid)
    return now is not None and now.start == p.start and now.state not in ("Z", "X")


def _signal(p: ProcInfo, signum: int) -> None:
    if alive(p):  # checked just before: a pid that was reused is left alone
        try:
            os.kill(p.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def kill_tree(procs: list[ProcInfo], grace_s: float, *, poll_s: float = 0.02) -> TreeKill:
    """SIGTERM everything, SIGKILL what outlives `grace_s`, and say what happened."""
    result = TreeKill(found=list(procs), grace_s=grace_s)
    running = [p for p in procs if alive(p)]
    for p in procs:
        if p not in running:
            result.ended_by[p.pid] = "already gone"
    for p in running:
        _signal(p, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while running:
        for p in running:
            if not alive(p):
                result.ended_by[p.pid] = "SIGTERM"
        running = [p for p in running if p.pid not in result.ended_by]
        if not running or time.monotonic() >= deadline:
            break
        time.sleep(poll_s)
    for p in running:
        _signal(p, signal.SIGKILL)
        result.ended_by[p.pid] = "SIGKILL"
    deadline = time.monotonic() + 5.0  # SIGKILL cannot be ignored; a process in D state may take a moment
    while running and time.monotonic() < deadline:
        running = [p for p in running if alive(p)]
        if running:
            time.sleep(poll_s)
    result.survivors = running
    return result


def read_proc_info(dispatch_dir: Path) -> dict[str, int | None]:
    try:
        data = json.loads((dispatch_dir / PROC_INFO_NAME).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, int) or v is None} if isinstance(data, dict) else {}


def worker_processes(dispatch_dir: Path, pane_pid: int | None) -> list[ProcInfo]:
    """Every live process of one worker: its session and group (from the launcher's record and
    from tmux's pane pid), their descendants, and the exit watcher the launcher left."""
    info = read_proc_info(dispatch_dir)
    procs = snapshot()
    roots = {pid for pid in (pane_pid, info.get("pid")) if pid}
    groups = {g for g in (info.get("sid"), info.get("pgid"), pane_pid) if g}
    recorded = info.get("pid")
    if recorded and info.get("start") and (now := procs.get(recorded)) is not None and now.start != info["start"]:
        roots.discard(recorded)  # that pid now belongs to some other process
        groups -= {info.get("sid"), info.get("pgid")}
    groups -= {os.getsid(0), os.getpgid(0)}  # never the caller's own session or group
    chosen = tree_of(procs, roots, groups)
    watcher = info.get("watcher_pid")
    if watcher and (w := procs.get(watcher)) is not None and w not in chosen and _is_launcher(watcher, dispatch_dir):
        chosen.append(w)
    return chosen


def _is_launcher(pid: int, dispatch_dir: Path) -> bool:
    """The exit watcher is a fork of the launcher: its command line names this dispatch's spec."""
    try:
        cmdline = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False
    return b"cockpit.runtime.launch" in cmdline and os.fsencode(str(dispatch_dir)) in cmdline


def ancestors(pid: int) -> list[int]:
    """The parent pids of `pid`, nearest first, up to (not including) init."""
    chain = []
    for _ in range(64):
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            pid = int(fields[1])
        except (OSError, IndexError, ValueError):
            break
        if pid <= 1:
            break
        chain.append(pid)
    return chain


def environ_value(pid: int, name: str) -> str | None:
    """The value of `name` in process `pid`'s environment (as it started), if set and readable."""
    prefix = name.encode() + b"="
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            for item in handle.read().split(b"\0"):
                if item.startswith(prefix):
                    return item.split(b"=", 1)[1].decode(errors="replace") or None
    except OSError:
        return None
    return None


def signal_tree(procs: list[ProcInfo], signum: int) -> list[int]:
    """Send `signum` to each process still running as itself; the pids it reached."""
    reached = []
    for p in procs:
        if alive(p):  # checked just before: a pid that was reused is left alone
            try:
                os.kill(p.pid, signum)
            except (ProcessLookupError, PermissionError):
                continue
            reached.append(p.pid)
    return reached
