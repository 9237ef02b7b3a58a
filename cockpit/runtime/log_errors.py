"""The last error line a worker printed, read from the end of its log."""

from __future__ import annotations

import os
import re
from pathlib import Path

from cockpit.domain.provider import strip_ansi
from cockpit.domain.screen_text import clean_line, informative, last_error_line

TAIL_BYTES = 64 * 1024  # a CLI's failure is at the end; a flood before it is not read
FINAL_LINES = 3  # after a clean exit: an error among the last lines (aider adds a hint after it)
# After a clean exit only a raised exception counts ("litellm.AuthenticationError: …"), not
# prose that mentions an error ("error handling was improved").
RAISED = re.compile(r"\b\w*(?:Error|Exception): ")


def last_error_of(log_path: Path, tail_bytes: int = TAIL_BYTES, *, final_only: bool = False) -> str | None:
    """The last error line in the final `tail_bytes` of the log; None when there is none.

    final_only: only a raised exception among the log's last FINAL_LINES informative lines
    (for a clean exit: aider exits 0 after an authentication failure, its exception and a
    hint being the last lines).
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
        raised = [line for line in lines[-FINAL_LINES:] if RAISED.search(line)]
        return last_error_line(raised[-1]) if raised else None
    return last_error_line(text)
