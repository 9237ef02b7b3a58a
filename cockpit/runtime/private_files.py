"""Files only their owner may read: logs, prompts, reports and the store hold what agents
printed and what operators typed, secrets included (masking applies to receipts, not to
these). Every such file is 0600 in a 0700 directory, whatever the umask, and a file or
directory left more open by an older version is tightened when it is written again."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` (and its missing parents) as 0700; tighten it if it exists."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def open_private(path: Path, flags: int) -> int:
    """os.open with O_CREAT and mode 0600, tightening a file that already existed more open."""
    fd = os.open(path, flags | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o777 != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def touch_private(path: Path) -> None:
    os.close(open_private(path, os.O_WRONLY | os.O_APPEND))


def write_private(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Replace the file's contents with `data` (0600)."""
    fd = open_private(path, os.O_WRONLY | os.O_TRUNC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
