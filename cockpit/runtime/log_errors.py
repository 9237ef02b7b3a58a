"""The last error line a worker printed, read from the end of its log."""

from __future__ import annotations

import os
from pathlib import Path

from cockpit.domain.provider import strip_ansi
from cockpit.domain.screen_text import clean_line, informative, last_error_line

TAIL_BYTES = 64 * 1024  # a CLI's failure is at the end; a flood before it is not read
FINAL_LINES = 3  # after a clean exit: an error among the last lines (aider adds a hint after it)


def last_error_of(log_path: Path, tail_bytes: int = TAIL_BYTES, *, final_only: bool = False) -> str | None:
    """The last error line in the final `tail_bytes` of the log; None when there is none.

    final_only: only an error among the log's last FINAL_LINES informative lines (for a clean
    exit: aider exits 0 after an authentication failure, its error and a hint the last lines).
    """
    try:
        with open(log_path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - tail_bytes))
            data = handle.read(tail_bytes)
    except OSError:
        return None
    text = data.decode("utf-8", "replace")
    if len(data) == tail_bytes and size > tail_bytes:
        text = text.partition("\n")[2]  # the first line was cut in the middle
    if final_only:
        # A spinner overwrites itself with backspaces: what follows the last one is what shows.
        shown = [line.rsplit("\b", 1)[-1] for line in strip_ansi(text).splitlines()]
        lines = [line for line in shown if informative(clean_line(line.strip()))]
        return last_error_line("\n".join(lines[-FINAL_LINES:]))
    return last_error_line(text)
