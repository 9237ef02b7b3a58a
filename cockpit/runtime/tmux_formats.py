"""What cockpit asks tmux for in one `list-panes -a` sweep, and how it reads the answer."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from cockpit.runtime.tmux_names import TmuxError

SEP = "\t"
PANE_FIELDS = (
    "session_name",
    "pane_id",
    "pane_pid",
    "pane_dead",
    "pane_dead_status",
    "pane_dead_signal",
    "pane_width",
    "pane_height",
    "window_activity",
    "pane_current_command",  # last: the only free-text field
)
# The server pid comes first so a sweep can nudge tmux without another call.
LIST_PANES_FORMAT = SEP.join(["#{pid}", *(f"#{{{field}}}" for field in PANE_FIELDS)])


@dataclass(frozen=True)
class PaneInfo:
    """One pane as tmux sees it.

    `dead` means the process has exited AND tmux knows how: `dead_status` (exit
    code) or `dead_signal` is set. For a moment after an exit tmux may have closed
    the pane without having reaped the process; such a pane still reads as alive
    here, and `TmuxServer.list_panes` nudges tmux to reap it (the pane-died hook
    then fires).
    """

    session: str
    pane_id: str
    pid: int | None
    dead: bool
    dead_status: int | None
    width: int
    height: int
    activity: int  # #{window_activity}: epoch seconds of the window's last output
    command: str  # #{pane_current_command}; meaningless once dead
    dead_signal: int | None = None


def int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def parse_pane_line(line: str) -> tuple[PaneInfo, bool]:
    """One line of PANE_FIELDS; also whether tmux closed the pane but has not reaped its process."""
    fields = line.split(SEP, len(PANE_FIELDS) - 1)
    if len(fields) != len(PANE_FIELDS):
        raise TmuxError(f"unexpected list-panes line from tmux: {line!r}")
    session, pane_id, pid, dead, status, signal, width, height, activity, command = fields
    exit_status, exit_signal = int_or_none(status), int_or_none(signal)
    known = exit_status is not None or exit_signal is not None
    pane = PaneInfo(
        session=session,
        pane_id=pane_id,
        pid=int_or_none(pid),
        dead=dead == "1" and known,
        dead_status=exit_status,
        width=int_or_none(width) or 0,
        height=int_or_none(height) or 0,
        activity=int_or_none(activity) or 0,
        command=command,
        dead_signal=exit_signal,
    )
    return pane, dead == "1" and not known


def parse_list_panes(lines: Iterable[str]) -> tuple[list[PaneInfo], int | None, bool]:
    """Lines of LIST_PANES_FORMAT: the panes, the server pid, and whether any exit awaits reaping."""
    panes: list[PaneInfo] = []
    server_pid: int | None = None
    unreaped = False
    for line in filter(None, lines):
        pid_text, _, rest = line.partition(SEP)
        server_pid = int_or_none(pid_text)
        pane, waiting = parse_pane_line(rest)
        panes.append(pane)
        unreaped = unreaped or waiting
    return panes, server_pid, unreaped


@cache
def default_terminal() -> str:
    """tmux-256color when this machine's terminfo knows it, else screen-256color."""
    dirs = [os.environ.get("TERMINFO", ""), os.path.expanduser("~/.terminfo")]
    dirs += os.environ.get("TERMINFO_DIRS", "").split(":")
    dirs += ["/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo", "/usr/lib/terminfo"]
    for directory in filter(None, dirs):
        for sub in ("t", "74"):  # "74" is the hex layout macOS uses
            if os.path.exists(os.path.join(directory, sub, "tmux-256color")):
                return "tmux-256color"
    return "screen-256color"
