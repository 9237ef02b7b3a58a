"""`cockpit serve`: the same TUI in a browser, through textual-serve."""

from __future__ import annotations

import shlex
from pathlib import Path

from textual_serve.server import Server


def serve(repo: Path, command: list[str], *, host: str, port: int) -> None:
    """Serve `command` (the TUI, run in `repo`) until interrupted."""
    Server(f"cd {shlex.quote(str(repo))} && {shlex.join(command)}", host=host, port=port,
           title="cockpit").serve()
