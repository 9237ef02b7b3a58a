"""The secret behind `cockpit serve`: one per state directory, kept 0600, rotated on request."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TOKEN_FILE = "serve.token"


def load_token(state_root: Path, *, rotate: bool = False) -> str:
    """The stable secret of this state directory (0600), made on first use or when rotated."""
    path = state_root / TOKEN_FILE
    if not rotate:
        try:
            token = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            token = ""
        if len(token) >= 32:
            return token
    token = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{TOKEN_FILE}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return token
