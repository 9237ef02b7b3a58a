"""An exclusive lock shared by every thread and process that names the same file.

`flock` alone does not serialise threads of one process reliably (two opens of the
same file are two open file descriptions, so a thread would block on its own
process), and a `threading.Lock` alone does not reach other processes. FileLock
holds both: an in-process re-entrant lock keyed by the resolved path, and while
the outermost holder has it, one `flock(LOCK_EX)` on a file created with 0600.
Re-entrant on purpose: teardown holds the repository lock and calls helpers that
take it again.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from types import TracebackType

from cockpit.errors import CockpitError

_POLL_SECONDS = 0.01


class LockTimeout(CockpitError, TimeoutError):
    """The lock stayed held by someone else for longer than the timeout."""

    exit_code = 1


class _PathLock:
    """Per-path state: the thread lock, the open descriptor and the nesting depth."""

    def __init__(self) -> None:
        self.rlock = threading.RLock()
        self.fd: int | None = None
        self.depth = 0


_registry: dict[str, _PathLock] = {}
_registry_guard = threading.Lock()


def _reset_after_fork() -> None:
    # A forked child inherits locks possibly held by other threads of the parent; it
    # must not wait on them, nor unlock the parent's flock through a shared descriptor.
    global _registry_guard
    _registry.clear()
    _registry_guard = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def _path_lock(key: str) -> _PathLock:
    with _registry_guard:
        state = _registry.get(key)
        if state is None:
            state = _registry[key] = _PathLock()
        return state


class FileLock:
    """Context manager: `with FileLock(path, timeout=5): ...`.

    `timeout=None` waits forever; otherwise LockTimeout after that many seconds.
    """

    def __init__(self, path: Path, timeout: float | None = None) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._key = str(self.path.absolute().resolve())

    def acquire(self) -> None:
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        state = _path_lock(self._key)
        got = state.rlock.acquire() if self.timeout is None else state.rlock.acquire(timeout=self.timeout)
        if not got:
            raise self._timeout_error()
        if state.depth > 0:
            state.depth += 1
            return
        try:
            state.fd = self._flock(deadline)
        except BaseException:
            state.rlock.release()
            raise
        state.depth = 1

    def release(self) -> None:
        state = _path_lock(self._key)
        if state.depth == 1 and state.fd is not None:
            fd, state.fd = state.fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        state.depth -= 1
        state.rlock.release()

    def _flock(self, deadline: float | None) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            if deadline is None:
                fcntl.flock(fd, fcntl.LOCK_EX)
                return fd
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise self._timeout_error() from None
                    time.sleep(_POLL_SECONDS)
        except BaseException:
            os.close(fd)
            raise

    def _timeout_error(self) -> LockTimeout:
        return LockTimeout(
            f"lock {self.path} still held after {self.timeout:g}s",
            hint="another cockpit process is changing worktrees; retry shortly",
        )

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
