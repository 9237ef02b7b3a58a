"""Changes to files in a few directories, straight from Linux inotify, the moment they happen.

watchfiles (the portable fallback) hands changes over only after `step` ms without a new
one, and at most `debounce` ms after the first: with claude drawing its screen into the
log, a hook's signal line waited 40-400 ms in that batch before cockpit read it
(docs/benchmarks.md, figure 7). Here a signal is handed over at once; output, which a
busy CLI writes hundreds of times a second, at most once per `hold_s` per file (the first
write at once, the last one never dropped).
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

    async def batches(
        self, stop: asyncio.Event, *, held: Callable[[str], bool], hold_s: float, everything: Callable[[], set[str]]
    ) -> AsyncIterator[set[str]]:
        """Each batch of changed paths. A path for which `held` is true is yielded at most once
        per `hold_s` (the first change at once, a later one when its time comes). After an
        overflow of the kernel's queue, `everything` names the paths to treat as changed."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()
        loop.add_reader(self.fd, wake.set)
        stopper = loop.create_task(stop.wait())
        stopper.add_done_callback(lambda _task: wake.set())
        last: dict[str, float] = {}  # held path -> when it was last yielded
        pending: set[str] = set()  # held paths that changed while held back
        try:
            while not stop.is_set():
                due = min((last[p] + hold_s for p in pending), default=None)
                if due is None:
                    await wake.wait()
                else:
                    try:
                        await asyncio.wait_for(wake.wait(), max(0.0, due - loop.time()))
                    except TimeoutError:
                        pass
                wake.clear()
                changed = pending | self.read()
                if self.overflowed:
                    self.overflowed = False
                    changed |= everything()
                now = loop.time()
                ready = {p for p in changed if not held(p) or now - last.get(p, -hold_s) >= hold_s}
                pending = changed - ready
                for path in ready:
                    if held(path):
                        last[path] = now
                if len(last) > 256:  # forget files quiet for longer than the hold
                    last = {p: t for p, t in last.items() if now - t < hold_s or p in pending}
                if ready:
                    yield ready
        finally:
            stopper.cancel()
            loop.remove_reader(self.fd)
