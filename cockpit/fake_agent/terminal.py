"""Terminal modes and signals: whatever the fake agent changes, it puts back.

Signals become a `Terminated` exception so every `finally` (terminal restore,
bracketed paste off) runs; `die_by_signal` then ends the process by that same
signal, so a supervisor sees what it would see for a real CLI that was killed.
"""

from __future__ import annotations

import os
import signal
import sys
import termios
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, NoReturn

HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
BRACKETED_PASTE_ON = b"\x1b[?2004h"
BRACKETED_PASTE_OFF = b"\x1b[?2004l"

# termios.tcgetattr() list indexes
_IFLAG, _OFLAG, _CFLAG, _LFLAG, _CC = 0, 1, 2, 3, 6


class Terminated(BaseException):
    """A terminating signal arrived; BaseException so `except Exception` cannot swallow it."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"signal {signum}")


class NoTerminal(Exception):
    """There is no terminal to read a key from."""


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


def install_signal_handlers() -> None:
    for signum in HANDLED_SIGNALS:
        signal.signal(signum, _raise_terminated)


def die_by_signal(signum: int) -> NoReturn:
    """End the process by `signum` with its default action (after cleanup ran)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # the terminal may be gone (SIGHUP): nothing left to flush to
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # only reached if the signal is blocked


def _set_attributes(fd: int, attributes: list[Any]) -> None:
    try:
        termios.tcsetattr(fd, termios.TCSANOW, attributes)
    except (termios.error, OSError):
        pass  # the terminal went away (hangup): there is nothing left to restore


@contextmanager
def raw_input_mode(fd: int) -> Iterator[None]:
    """Raw input (every byte reaches us: no line editing, echo, signals or flow control).

    Output processing (OPOST/ONLCR) stays on so plain "\\n" still renders as a new
    line in tmux. TCSANOW, not TCSAFLUSH: input typed early must not be dropped.
    """
    saved = termios.tcgetattr(fd)
    raw = termios.tcgetattr(fd)
    raw[_IFLAG] &= ~(
        termios.BRKINT | termios.ICRNL | termios.INLCR | termios.IGNCR | termios.INPCK | termios.ISTRIP | termios.IXON
    )
    raw[_CFLAG] = (raw[_CFLAG] & ~(termios.CSIZE | termios.PARENB)) | termios.CS8
    raw[_LFLAG] &= ~(termios.ECHO | termios.ICANON | termios.IEXTEN | termios.ISIG)
    raw[_CC][termios.VMIN] = 1
    raw[_CC][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, raw)
    try:
        yield
    finally:
        _set_attributes(fd, saved)


@contextmanager
def cbreak_mode(fd: int) -> Iterator[None]:
    """One key at a time, no echo; Ctrl-C still raises SIGINT."""
    saved = termios.tcgetattr(fd)
    cbreak = termios.tcgetattr(fd)
    cbreak[_LFLAG] &= ~(termios.ECHO | termios.ICANON)
    cbreak[_CC][termios.VMIN] = 1
    cbreak[_CC][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, cbreak)
    try:
        yield
    finally:
        _set_attributes(fd, saved)


@contextmanager
def bracketed_paste(out_fd: int) -> Iterator[None]:
    """Ask the terminal to wrap pastes in ESC[200~ ... ESC[201~ while we run."""
    os.write(out_fd, BRACKETED_PASTE_ON)
    try:
        yield
    finally:
        try:
            os.write(out_fd, BRACKETED_PASTE_OFF)
        except OSError:
            pass  # terminal gone


def answer_from_key(key: int) -> bool | None:
    """y/Y is yes, n/N is no, any other key is not an answer."""
    if key in b"yY":
        return True
    if key in b"nN":
        return False
    return None


def read_answer_from_controlling_tty() -> bool:
    """Wait for y or n on /dev/tty, even when stdin is a pipe or a file."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError as error:
        raise NoTerminal(f"no terminal to read the answer from (/dev/tty: {error.strerror})") from None
    try:
        with cbreak_mode(fd):
            while True:
                key = os.read(fd, 1)
                if not key:
                    raise NoTerminal("the terminal closed before the question was answered")
                answer = answer_from_key(key[0])
                if answer is not None:
                    return answer
    finally:
        os.close(fd)
