"""Changes to files in a few directories, straight from Linux inotify, the moment they happen.

watchfiles (the portable fallback) hands changes over only after `step` ms without a new
one, and at most `debounce` ms after the first: with claude drawing its screen into the
log, a hook's signal line waited 40-400 ms in that batch before cockpit read it
(docs/benchmarks.md, figure 7). Here the signals directory has an inotify instance of its
own, read the moment it reports; the logs, which busy CLIs write hundreds of times a
second, have another, read at once after a quiet spell and then at most every `hold_s`
(its changes wait in the kernel's queue meanwhile, so none is lost and the supervisor
wakes at most 1/hold_s times a second for output, however many workers print).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import errno
import os
import struct
from collections.abc import AsyncIterator, Callable, Iterable

IN_MODIFY, IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE, IN_Q_OVERFLOW = 0x2, 0x8, 0x80, 0x100, 0x4000
_MASK = IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then `len` bytes of NUL-padded name
_READ_SIZE = 64 * 1024


class DirectoryWatch:
    """inotify on some directories (not recursive); raises OSError where inotify is missing."""

    def __init__(self, directories: Iterable[str]) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        if not hasattr(libc, "inotify_init1"):
            raise OSError(errno.ENOSYS, "inotify is not available here")
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.directories: dict[int, str] = {}
        self.overflowed = False  # the kernel dropped events: every watched file may have changed
        try:
            for directory in directories:
                wd = libc.inotify_add_watch(self.fd, os.fsencode(directory), _MASK)
                if wd < 0:
                    raise OSError(ctypes.get_errno(), f"cannot watch {directory}")
                self.directories[wd] = directory
        except OSError:
            os.close(self.fd)
            raise

    def close(self) -> None:
        os.close(self.fd)

    def read(self) -> set[str]:
        """The paths changed since the last read (nothing when none)."""
        paths: set[str] = set()
        while True:
            try:
                data = os.read(self.fd, _READ_SIZE)
            except BlockingIOError:
                return paths
            at = 0
            while at + _EVENT.size <= len(data):
                wd, mask, _cookie, size = _EVENT.unpack_from(data, at)
                name = data[at + _EVENT.size : at + _EVENT.size + size].rstrip(b"\0")
                at += _EVENT.size + size
                if mask & IN_Q_OVERFLOW:
                    self.overflowed = True
                elif name and wd in self.directories:
                    paths.add(os.path.join(self.directories[wd], os.fsdecode(name)))


async def watch_changes(
    at_once: DirectoryWatch, paced: DirectoryWatch, stop: asyncio.Event, *, hold_s: float, everything: Callable[[], set[str]]
) -> AsyncIterator[set[str]]:
    """Each batch of changed paths: `at_once`'s the moment they happen, `paced`'s at once after
    a quiet spell and then at most every `hold_s`. After an overflow of the kernel's queue,
    `everything` names the paths to treat as changed."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    loop.add_reader(at_once.fd, wake.set)
    loop.add_reader(paced.fd, wake.set)
    stopper = loop.create_task(stop.wait())
    stopper.add_done_callback(lambda _task: wake.set())
    resume_at: float | None = None  # the paced watch is not read before then
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
            changed = at_once.read()
            if resume_at is not None and now >= resume_at:
                resume_at = None
                loop.add_reader(paced.fd, wake.set)
            if resume_at is None and (found := paced.read()):
                changed |= found
                resume_at = now + hold_s
                loop.remove_reader(paced.fd)  # what it reports meanwhile waits for the next read
            if at_once.overflowed or paced.overflowed:
                at_once.overflowed = paced.overflowed = False
                changed |= everything()
            if changed:
                yield changed
    finally:
        stopper.cancel()
        loop.remove_reader(at_once.fd)
        loop.remove_reader(paced.fd)
