"""Talking to the supervisor from the CLI (blocking; the TUI's asyncio client is async_client.py).

Any command that needs the supervisor starts it on demand: a detached
`cockpit supervise` in its own session, so closing the terminal or the SSH
connection stops nothing.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cockpit.errors import ServiceError
from cockpit.protocol.wire import LINE_LIMIT, reply_id, request_line, result_of
from cockpit.runtime.private_files import open_private
from cockpit.service.workspace import Workspace

if TYPE_CHECKING:
    from cockpit.protocol.events import Event
    from cockpit.runtime.statedir import StateDir

START_TIMEOUT = 20.0
DEFAULT_IDLE_EXIT = 600  # an auto-started supervisor leaves after 10 idle minutes
# A request that no supervisor read (a refused connect, a failed send, a reset before any
# reply) goes again, to a supervisor started anew if need be; this many tries in all.
DELIVERY_ATTEMPTS = 3


def _daemon_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("TMUX", "TMUX_PANE", "COCKPIT_WORKER_ID", "COCKPIT_DISPATCH_ID"):
        env.pop(name, None)
    return env


def start_supervisor(ws: Workspace, idle_exit: int = DEFAULT_IDLE_EXIT) -> None:
    """Spawn a detached supervisor for this repository and wait until it answers.

    Its settings and catalog are checked first, so a mistake there is one clear line
    (exit 2) at once instead of a supervisor that dies in the background.
    """
    from cockpit.runtime.providers import load_catalog
    from cockpit.service.settings import load_config

    load_config(ws.repo.toplevel)
    load_catalog(ws.repo.toplevel)
    ws.state.ensure()
    try:
        log = os.fdopen(open_private(ws.state.supervisor_log, os.O_WRONLY | os.O_APPEND), "ab")
    except OSError as exc:
        raise ServiceError(
            f"cannot start the supervisor: cannot write {ws.state.supervisor_log} ({exc.strerror})",
            hint="the state directory must be writable",
        ) from None
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cockpit", "supervise", "--idle-exit", str(idle_exit)],
            cwd=ws.repo.toplevel,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=_daemon_env(),
        )
    finally:
        log.close()
    wait_until_answering(ws, proc)


def wait_until_answering(ws: Workspace, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait for the supervisor's socket. A supervisor still folding the ledger into the store
    (its progress file keeps moving) is waited for, with a progress line on stderr; one that
    shows no sign of life for START_TIMEOUT seconds is an error."""
    progress = CatchUpProgress(ws)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while time.monotonic() < deadline:
            try:
                _connect(ws).close()
                return
            except OSError:
                if proc is not None and proc.poll() is not None and proc.returncode != 0:
                    if supervisor_answers(ws):  # lost a race to another supervisor that is now up
                        return
                    if not progress.other_supervisor_alive():
                        raise ServiceError(
                            f"the supervisor could not start: {_last_error(ws)}", hint=f"see {ws.state.supervisor_log}"
                        ) from None
                    proc = None  # another supervisor holds the lock and is starting: wait for it
                if progress.moved():
                    deadline = time.monotonic() + START_TIMEOUT
                time.sleep(0.05)
    finally:
        progress.done()
    raise ServiceError(
        f"the supervisor did not start within {START_TIMEOUT:.0f} s",
        hint=f"see {ws.state.supervisor_log}",
    )


class CatchUpProgress:
    """Reads a starting supervisor's progress file and prints a line about it on stderr."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.seen: tuple[int, int] | None = None
        self.printed = False
        self.tty = sys.stderr.isatty()
        self.last_print = 0.0

    def read(self) -> tuple[int, int] | None:
        try:
            data = json.loads(self.ws.state.supervisor_progress.read_bytes())
            return int(data["done"]), int(data["total"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def moved(self) -> bool:
        now = self.read()
        if now is None or now == self.seen:
            return False
        self.seen = now
        self._print(*now)
        return True

    def _print(self, done: int, total: int) -> None:
        clock = time.monotonic()
        if not self.tty and self.printed and clock - self.last_print < 5:
            return  # a log, not a terminal: one line every few seconds
        self.last_print = clock
        pct = 100 * done // max(total, 1)
        line = (
            f"cockpit: waiting for the supervisor to catch up with the ledger: {pct}% of "
            f"{total / 1e6:,.1f} MB folded into the state store"
        )
        sys.stderr.write(("\r" + line) if self.tty else line + "\n")
        sys.stderr.flush()
        self.printed = True

    def done(self) -> None:
        if self.printed and self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def other_supervisor_alive(self) -> bool:
        """True while the process named in the supervisor's lock file lives (it is starting or
        running). Read, not locked: taking the lock even briefly could turn a supervisor away."""
        try:
            pid = int(self.ws.state.supervisor_lock.read_text().strip() or 0)
        except (OSError, ValueError):
            return False
        if pid <= 0:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _last_error(ws: Workspace) -> str:
    try:
        with open(ws.state.supervisor_log, "rb") as handle:
            handle.seek(max(0, handle.seek(0, 2) - 4096))
            lines = [line for line in handle.read().decode(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "it exited at once"
    return lines[-1].removeprefix("cockpit: ") if lines else "it exited at once"


def _connect(ws: Workspace) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(ws.state.socket_path))
    except OSError:
        sock.close()
        raise
    return sock


def check_args(op: str, args: Mapping[str, object]) -> None:
    """Refuse arguments the op's model refuses, before anything is sent (the supervisor checks
    them again with the same model): any values until that model has checked them. An op the protocol does not describe yet goes as it is.
    Only the TUI's client does this: the CLI's leaves it to the supervisor, so that a command
    does not load pydantic and the models just to start."""
    from cockpit.protocol.requests import REQUESTS, parse_args

    if op in REQUESTS:
        parse_args(op, args)


def parse_event(raw: Any) -> Event:
    from cockpit.protocol.events import parse_event as parse

    return parse(raw)


class SupervisorClient:
    """Blocking client: one connection, requests answered in order."""

    def __init__(self, ws: Workspace, *, autostart: bool = True) -> None:
        self.ws = ws
        self.autostart = autostart
        self._sock: socket.socket | None = None
        self._file: Any = None
        self._next_id = 0

    def _ensure(self) -> socket.socket:
        if self._sock is not None:
            return self._sock
        try:
            self._sock = _connect(self.ws)
        except OSError:
            if not self.autostart:
                raise ServiceError("the supervisor is not running", hint="start it with `cockpit supervise`") from None
            start_supervisor(self.ws)
            self._sock = _connect(self.ws)
        self._file = self._sock.makefile("rb")
        return self._sock

    def call(self, op: str, **args: Any) -> Any:
        """The op's result as JSON data (the shape of its reply model, cockpit/protocol/replies.py).
        The supervisor checks the arguments with the op's model (cockpit/protocol/requests.py)."""
        self._next_id += 1
        request = request_line(self._next_id, op, args)
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            try:
                sock = self._ensure()
                sock.sendall(request)
                reply = self._reply()
                break
            except OSError as exc:  # never read by any supervisor (see unread_request_lost)
                self.close()
                if attempt == DELIVERY_ATTEMPTS:
                    raise ServiceError(f"lost the connection to the supervisor: {exc}") from None
        return result_of(reply)

    def _reply(self) -> Any:
        """The reply to the request just sent. Raises OSError only when that request was
        never read (unread_request_lost), so that it may go again; ServiceError otherwise."""
        while True:  # replies to earlier, abandoned requests are skipped by id
            try:
                line = self._file.readline(LINE_LIMIT)
            except OSError as exc:
                if unread_request_lost(exc):
                    raise
                self.close()
                raise ServiceError(f"lost the connection to the supervisor: {exc}") from None
            if not line:  # it may have read the request and acted on it: not sent again
                self.close()
                raise ServiceError("the supervisor closed the connection", hint=f"see {self.ws.state.supervisor_log}")
            reply = json.loads(line)
            if reply_id(reply) in (self._next_id, None):
                return reply

    def events(self, **args: Any) -> Iterator[Event]:
        """Subscribe on a connection of its own; yields events (cockpit/protocol/events.py) until
        the supervisor goes away."""
        sub = SupervisorClient(self.ws, autostart=self.autostart)
        sub._ensure().sendall(request_line(0, "subscribe", args))
        try:
            while line := sub._file.readline(LINE_LIMIT):
                yield parse_event(json.loads(line)["event"])
        finally:
            sub.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> SupervisorClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def unread_request_lost(exc: OSError) -> bool:
    """True when a connection was reset while waiting for a reply: on a unix stream socket
    that happens only when the other end was released with bytes of ours still unread (or
    before it was ever accepted, as when a dying supervisor's listening socket goes away with
    connections queued). A request is acted on only once its whole line is read, and nothing
    is sent after it, so a reset request was never acted on and may go again; a plain end of
    the connection (EOF) may follow a request acted on, and is never retried."""
    return isinstance(exc, ConnectionResetError)


def supervisor_answers(ws: Workspace) -> bool:
    try:
        _connect(ws).close()
        return True
    except OSError:
        return False


def supervisor_stopped(state: StateDir) -> bool:
    """Nobody holds the supervisor lock. The lock goes with the supervisor's process, so this
    comes later than `supervisor_answers` turning False: a supervisor that has closed its
    socket may still be finishing a worker's start, and with it start its tmux server."""
    try:
        fd = os.open(state.supervisor_lock, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def wait_until_stopped(state: StateDir, timeout: float) -> bool:
    """Until the supervisor's process has ended (True), or `timeout` seconds (False)."""
    deadline = time.monotonic() + timeout
    while not supervisor_stopped(state):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
