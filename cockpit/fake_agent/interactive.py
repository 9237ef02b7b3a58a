"""Interactive mode: a `> ` line in a raw terminal, like an agent's TUI.

The terminal is in raw input mode with bracketed paste on; output processing
stays on, so plain "\\n" renders as a new line in the pane.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time

from cockpit.fake_agent.prompt_editor import LineEnd, PromptEditor
from cockpit.fake_agent.runner import process_prompt
from cockpit.fake_agent.terminal import NoTerminal, answer_from_key, bracketed_paste, raw_input_mode

BANNER = "cockpit fake agent ready"
PROMPT = "> "
EXIT_INTERRUPTED = 130
_READ_SIZE = 65536


class Interrupted(Exception):
    """Ctrl-C arrived while a prompt was running."""


class TerminalConsole:
    """Console for the interactive mode: keys typed while a prompt runs are kept for the next one."""

    def __init__(self, in_fd: int, editor: PromptEditor) -> None:
        self._in_fd = in_fd
        self._editor = editor

    def emit(self, text: str) -> None:
        write(text.encode("utf-8", "surrogateescape"))

    def _take_input(self, timeout: float | None) -> bool:
        """Read what the terminal has (waiting up to `timeout`); False if input is closed."""
        ready, _, _ = select.select([self._in_fd], [], [], timeout)
        if not ready:
            return True
        data = os.read(self._in_fd, _READ_SIZE)
        if not data:
            return False
        if b"\x03" in data:
            raise Interrupted
        self._editor.feed(data)
        return True

    def wait(self, seconds: float | None) -> None:
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return
            if not self._take_input(remaining):
                break  # input closed: keep waiting without it
        if deadline is None:
            while True:
                signal.pause()
        time.sleep(max(0.0, deadline - time.monotonic()))

    def read_answer(self) -> bool:
        pending = self._editor.pending
        while True:
            for index, key in enumerate(pending):
                if key == 0x03:
                    raise Interrupted
                answer = answer_from_key(key)
                if answer is not None:
                    del pending[: index + 1]
                    return answer
            pending.clear()  # not an answer: ignored, as the question says
            ready, _, _ = select.select([self._in_fd], [], [])
            data = os.read(self._in_fd, _READ_SIZE) if ready else b""
            if not data:
                raise NoTerminal("the terminal closed before the question was answered")
            pending += data


def write(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def run_interactive(session_id: str) -> int:
    """Serve prompts from the terminal until Ctrl-D, Ctrl-C, `@fake exit` or a failure."""
    in_fd, out_fd = sys.stdin.fileno(), sys.stdout.fileno()
    editor = PromptEditor()
    console = TerminalConsole(in_fd, editor)
    with raw_input_mode(in_fd), bracketed_paste(out_fd):
        write(f"{BANNER}\n{PROMPT}".encode())
        while True:
            echo, event = editor.step()
            if echo:
                write(echo)
            if event is None:
                data = os.read(in_fd, _READ_SIZE)
                if not data:
                    write(b"\n")
                    return 0  # the terminal is gone: like Ctrl-D
                editor.feed(data)
                continue
            if event is LineEnd.INTERRUPT:
                write(b"^C\n")
                return EXIT_INTERRUPTED
            if event is LineEnd.END_OF_INPUT:
                write(b"\n")
                return 0
            write(b"\n")
            if not event.prompt:
                write(PROMPT.encode())
                continue
            try:
                outcome = process_prompt(event.prompt, console, session_id)
            except Interrupted:
                write(b"^C\n")
                return EXIT_INTERRUPTED
            if outcome.ends_session:
                return outcome.exit_code
            write(PROMPT.encode())
