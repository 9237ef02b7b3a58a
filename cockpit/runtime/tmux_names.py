"""Names and argument quoting for cockpit's private tmux servers.

tmux reads its command-line arguments with two traps that turn data into code:
an argument ending in ";" ends the command (the rest becomes a new command), and
some arguments (`-c` start directory, the pipe-pane command) are format-expanded,
where `#(...)` runs a shell command. Every variable argument goes through
`tmux_arg`, and format-expanded ones through `format_literal` first.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from cockpit.errors import UsageError
from cockpit.runtime.executor import SessionError

_SESSION_NAME = re.compile(r"[A-Za-z0-9_-]+")
_SOCKET_NAME = re.compile(r"[A-Za-z0-9_.-]+")

EXIT_CHANNEL = "cockpit-exit"
"""The wait-for channel the pane-died hook signals."""


class TmuxError(SessionError):
    """A tmux command failed; the message carries tmux's own words."""


class TmuxNotRunning(TmuxError):
    """cockpit's tmux server for this repository is not running (it died or was never started)."""


class TmuxNameError(UsageError, ValueError):
    """A session or socket name that cockpit refuses (bad input, exit code 2)."""


def check_socket_name(socket_name: str) -> str:
    """Refuse names that would reach the user's own tmux server, or are not plain names."""
    if socket_name in ("", "default"):
        raise TmuxNameError(
            f"tmux socket name {socket_name!r} would use the user's default tmux server",
            hint="use socket_name_for(state_dir) for a private one",
        )
    if not _SOCKET_NAME.fullmatch(socket_name):
        raise TmuxNameError(f"tmux socket name {socket_name!r} has characters other than letters, digits, '.', '_' and '-'")
    return socket_name


def check_session_name(name: str) -> str:
    if not _SESSION_NAME.fullmatch(name):
        raise TmuxNameError(
            f"worker name {name!r} is not a valid tmux session name",
            hint="use only letters, digits, '_' and '-'",
        )
    return name


def socket_name_for(state_dir: Path) -> str:
    """The private socket name for one state directory: stable, and distinct per directory."""
    digest = hashlib.sha256(os.fsencode(os.path.realpath(state_dir))).hexdigest()
    return f"cockpit-{digest[:12]}"


def socket_path(socket_name: str) -> Path:
    """Where tmux keeps the socket of `-L socket_name`: under $TMUX_TMPDIR (else /tmp), as the
    tmux that this process runs sees it. tmux leaves the file behind when its server ends."""
    base = os.environ.get("TMUX_TMPDIR") or "/tmp"
    return Path(base, f"tmux-{os.getuid()}", check_socket_name(socket_name))


def gate_name(session: str) -> str:
    """The wait-for channel a worker's launcher blocks on until its log is attached."""
    return f"cockpit-go-{check_session_name(session)}"


def buffer_name(session: str, token: str) -> str:
    return f"cockpit-{session}-{token}"


def session_target(name: str) -> str:
    """Exact-match target for session commands ('=' stops tmux's prefix matching)."""
    return f"={check_session_name(name)}"


def pane_target(name: str) -> str:
    """Exact-match target for the (only) pane of a worker's session."""
    return f"={check_session_name(name)}:"


def tmux_arg(value: str) -> str:
    """Quote an argument so a trailing ';' stays data ("x\\;" reaches tmux's command as "x;")."""
    return value[:-1] + "\\;" if value.endswith(";") else value


def format_literal(value: str) -> str:
    """Make a string survive tmux format expansion unchanged ('#' is written '##')."""
    return value.replace("#", "##")
