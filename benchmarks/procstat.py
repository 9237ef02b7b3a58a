"""CPU time and memory of process trees, read from /proc (no third-party libraries).

CPU of a tree = for every live process in it, the time its threads ran (the sum of
/proc/<pid>/task/*/schedstat, in nanoseconds; utime + stime from /proc/<pid>/stat,
in clock ticks, where schedstat is missing) plus cutime + cstime (its reaped
children). A child that exits and is reaped moves its time into its parent's
cutime/cstime, so the sum only ever grows and the difference over a window is the
CPU the tree spent in it, children included. Nanoseconds matter: an idle
supervisor spends less than one 10 ms clock tick in a 5 s window.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Stat:
    pid: int
    ppid: int
    ticks: int  # utime + stime
    child_ticks: int  # cutime + cstime (reaped children)

    def own_seconds(self) -> float:
        """Time this process's live threads have run: nanosecond schedstat when the kernel has it."""
        total = 0
        try:
            for task in os.scandir(f"/proc/{self.pid}/task"):
                with open(f"{task.path}/schedstat", "rb") as handle:
                    total += int(handle.read().split()[0])
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError, ValueError):
            return self.ticks / CLK_TCK
        return total / 1e9


def read_stat(pid: int) -> Stat | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may hold spaces: fields follow the last ')'.
    fields = raw[raw.rindex(b")") + 2 :].split()
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return Stat(pid, ppid, utime + stime, cutime + cstime)


def all_stats() -> dict[int, Stat]:
    out: dict[int, Stat] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = read_stat(int(entry.name))
            if stat is not None:
                out[stat.pid] = stat
    return out


def descendants(root: int, stats: dict[int, Stat] | None = None) -> set[int]:
    stats = all_stats() if stats is None else stats
    children: dict[int, list[int]] = {}
    for stat in stats.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def tree_cpu_seconds(roots: Iterable[int], *, exclude: Iterable[int] = (), own_only: Iterable[int] = ()) -> float:
    """CPU seconds spent so far by `roots` and all their descendants.

    `exclude`: pids whose whole subtree is left out (say, the agents under tmux).
    `own_only`: pids counted without their children (their own utime + stime only).
    """
    stats = all_stats()
    skip: set[int] = set()
    for pid in exclude:
        skip.add(pid)
        skip |= descendants(pid, stats)
    seconds = 0.0
    for pid in set(own_only):
        stat = stats.get(pid)
        if stat is not None:
            seconds += stat.own_seconds()
    counted: set[int] = set()
    for root in roots:
        for pid in {root} | descendants(root, stats):
            if pid in skip or pid in counted:
                continue
            counted.add(pid)
            stat = stats.get(pid)
            if stat is not None:
                seconds += stat.own_seconds() + stat.child_ticks / CLK_TCK
    return seconds


def peak_rss_bytes(pid: int) -> int:
    """VmHWM of a live process (its peak resident set so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.05, what: str = "a condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)
