"""The last error line a worker printed, read from the end of its log."""

from __future__ import annotations

import os
from pathlib import Path

from cockpit.domain.screen_text import last_error_line

TAIL_BYTES = 64 * 1024  # a CLI's failure is at the end; a flood before it is not read


def last_error_of(log_path: Path, tail_bytes: int = TAIL_BYTES) -> str | None:
    """The last error line in the final `tail_bytes` of the log; None when there is none."""
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
    return last_error_line(text)
