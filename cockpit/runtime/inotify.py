"""Changes to the files of a few directories, from inotify, on the asyncio loop: no thread, no polling.

The supervisor watches its ledger head, its workers' logs and their signals files all day.
watchfiles (which it used before) runs each watch in a thread that wakes every `step` ms to
look for events and for its stop event: 25 wakeups a second per watch on an idle fleet, most
of an idle supervisor's CPU. Here the inotify descriptor is a reader of the event loop, which
sleeps until the kernel has something. Batching is kept as it was: after a change, changes
are gathered until `step_s` passes without one, or `debounce_s` after the first.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import struct
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_Q_OVERFLOW = 0x00004000
IN_ONLYDIR = 0x01000000
# What watchfiles reported as added, modified or deleted.
CHANGES = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len (then the name)


class Inotify:
    """One inotify descriptor watching `dirs` (not their subdirectories); non-blocking reads."""

    def __init__(self, dirs: Iterable[Path | str]) -> None:
        libc = ctypes.CDLL(None, use_errno=True)  # the process's own libc: no search, no subprocess
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            number = ctypes.get_errno()
            raise OSError(number, f"inotify_init1: {os.strerror(number)}")
        self.dirs: dict[int, str] = {}
        try:
            for path in dirs:
                wd = libc.inotify_add_watch(self.fd, os.fsencode(path), CHANGES | IN_ONLYDIR)
                if wd < 0:
                    number = ctypes.get_errno()
                    raise OSError(number, f"cannot watch {path}: {os.strerror(number)}")
                self.dirs[wd] = os.fspath(path)
        except BaseException:
            os.close(self.fd)
            raise

    def read(self) -> tuple[set[str], bool]:
        """(paths changed since the last read, whether the kernel's queue overflowed)."""
        paths: set[str] = set()
        overflowed = False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return paths, overflowed
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, size = _EVENT.unpack_from(data, offset)
                name = data[offset + _EVENT.size : offset + _EVENT.size + size].rstrip(b"\0")
                offset += _EVENT.size + size
                if mask & IN_Q_OVERFLOW:
                    overflowed = True
                elif name and wd in self.dirs:
                    paths.add(os.path.join(self.dirs[wd], os.fsdecode(name)))

    def every_file(self) -> set[str]:
        """What an overflow may have hidden: every file in the watched directories."""
        found: set[str] = set()
        for where in self.dirs.values():
            try:
                found.update(os.path.join(where, name) for name in os.listdir(where))
            except OSError:
                continue
        return found

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


async def watch(
    dirs: Iterable[Path | str],
    wanted: Callable[[str], bool],
    stop: asyncio.Event,
    *,
    step_s: float = 0.04,
    debounce_s: float = 0.4,
) -> AsyncIterator[set[str]]:
    """Yield each batch of changed paths that `wanted` keeps, until `stop` is set."""
    loop = asyncio.get_running_loop()
    inotify = Inotify(dirs)
    pending: set[str] = set()
    arrived = asyncio.Event()

    def on_readable() -> None:  # drains the descriptor at once: the loop's epoll is level-triggered
        paths, overflowed = inotify.read()
        pending.update(path for path in (inotify.every_file() if overflowed else paths) if wanted(path))
        if pending:
            arrived.set()

    async def until_stopped() -> None:
        await stop.wait()
        arrived.set()

    loop.add_reader(inotify.fd, on_readable)
    stopper = loop.create_task(until_stopped())
    try:
        while not stop.is_set():
            await arrived.wait()
            first = loop.time()
            while not stop.is_set() and loop.time() - first < debounce_s:
                arrived.clear()
                try:  # a quiet step ends the batch
                    await asyncio.wait_for(arrived.wait(), step_s)
                except TimeoutError:
                    break
            arrived.clear()
            batch = set(pending)
            pending.clear()
            if batch and not stop.is_set():
                yield batch
    finally:
        stopper.cancel()
        loop.remove_reader(inotify.fd)
        inotify.close()


async def watch_paced(
    at_once: Inotify, paced: Inotify, wanted: Callable[[str], bool], stop: asyncio.Event, *, hold_s: float = 0.04
) -> AsyncIterator[set[str]]:
    """Each batch of changed paths `wanted` keeps: `at_once`'s the moment the kernel reports them
    (a CLI's hook line: batching held it 40-400 ms while the CLI drew into its log, docs/benchmarks.md
    figure 7), `paced`'s at once after a quiet spell and then at most every `hold_s` (what it reports
    meanwhile waits in the kernel's queue, so the loop wakes at most 1/hold_s times a second for
    it however many workers print, and nothing is lost)."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    loop.add_reader(at_once.fd, wake.set)
    loop.add_reader(paced.fd, wake.set)
    stopper = loop.create_task(stop.wait())
    stopper.add_done_callback(lambda _task: wake.set())
    resume_at: float | None = None  # `paced` is not read before then

    def read(inotify: Inotify) -> set[str]:
        paths, overflowed = inotify.read()
        return {path for path in (inotify.every_file() if overflowed else paths) if wanted(path)}

    try:
        while not stop.is_set():
            if resume_at is None:
                await wake.wait()
            else:
                try:
                    await asyncio.wait_for(wake.wait(), max(0.0, resume_at - loop.time()))
                except TimeoutError:
                    pass
            wake.clear()
            now = loop.time()
            changed = read(at_once)
            if resume_at is not None and now >= resume_at:
                resume_at = None
                loop.add_reader(paced.fd, wake.set)
            if resume_at is None and (found := read(paced)):
                changed |= found
                resume_at = now + hold_s
                loop.remove_reader(paced.fd)  # its next changes wait for the next read
            if changed and not stop.is_set():
                yield changed
    finally:
        stopper.cancel()
        loop.remove_reader(at_once.fd)
        loop.remove_reader(paced.fd)
