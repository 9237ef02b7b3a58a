"""A real terminal for the TUI benchmarks: a tmux server on a private socket of its own.

Each app runs in a session of its own (the operator's terminal, 160x45 by default) and is
read back with `capture-pane -p`, which is what the operator would see. The socket name is
random (`bench-tui-...`) and `close()` kills that server only; the user's default tmux
server and cockpit's own private servers are never addressed.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from benchmarks.sandbox import Sandbox

WIDTH, HEIGHT = 160, 45
POLL_S = 0.01


@dataclass(frozen=True)
class Launched:
    name: str  # the tmux session
    pid: int  # the app's process (tmux runs argv directly, so the pane's process is the app)
    started: float  # time.monotonic() just before tmux was asked to spawn it


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (the app is tmux's child, not ours: no waitpid)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return raw[raw.rindex(b")") + 2 :][:1] != b"Z"


def rss_bytes(pid: int) -> int | None:
    """VmRSS of a live process, or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


class Terminal:
    def __init__(self, width: int = WIDTH, height: int = HEIGHT) -> None:
        self.socket = f"bench-tui-{secrets.token_hex(4)}"
        self.width, self.height = width, height
        # A holder session keeps the server up between apps, so no launch pays for the server's start.
        self.tmux("new-session", "-d", "-s", "holder", "-x", str(width), "-y", str(height), "sleep", "86400")
        self.tmux("set-option", "-g", "remain-on-exit", "on")  # a crashed app's last screen says why
        self._count = 0

    def tmux(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args], check=False, capture_output=True, text=True
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args[:3])}: {result.stderr.strip()}")
        return result.stdout

    def server_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", "holder", "#{pid}").strip())

    def launch(self, argv: list[str], *, cwd: Path, env: dict[str, str]) -> Launched:
        """Start `argv` in a new session, with `env` on top of the terminal's environment."""
        self._count += 1
        name = f"app{self._count}"
        command = ["env", "-u", "TMUX", "-u", "TMUX_PANE", *(f"{k}={v}" for k, v in env.items()), *argv]
        started = time.monotonic()
        out = self.tmux(
            "new-session",
            "-d",
            "-P",
            "-F",
            "#{pane_pid}",
            "-s",
            name,
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "-c",
            str(cwd),
            *command,
        )
        return Launched(name, int(out.strip()), started)

    def screen(self, name: str) -> str:
        return self.tmux("capture-pane", "-p", "-t", f"={name}:", check=False)

    def dead(self, name: str) -> bool:
        return self.tmux("display-message", "-p", "-t", f"={name}:", "#{pane_dead}", check=False).strip() != "0"

    def keys(self, name: str, *keys: str) -> None:
        self.tmux("send-keys", "-t", f"={name}:", *keys)

    def wait_screen(self, app: Launched, marks: dict[str, Callable[[str], bool]], timeout: float) -> dict[str, float]:
        """For each mark, seconds from the spawn to the first capture that shows it (polled every 10 ms)."""
        deadline = app.started + timeout
        seen: dict[str, float] = {}
        while True:
            screen = self.screen(app.name)
            now = time.monotonic()
            for mark, shown in marks.items():
                if mark not in seen and shown(screen):
                    seen[mark] = now - app.started
            if len(seen) == len(marks):
                return seen
            if self.dead(app.name) or now > deadline:
                tail = "\n".join(line for line in screen.splitlines() if line.strip())[-1500:]
                why = "exited" if self.dead(app.name) else f"showed nothing expected after {timeout:.0f} s"
                raise RuntimeError(f"the app in {app.name} {why}; its screen:\n{tail}")
            time.sleep(POLL_S)

    def close_app(self, app: Launched, timeout: float = 10) -> None:
        """Kill its session (the app gets SIGHUP, as when a terminal closes) and wait until it is gone."""
        self.tmux("kill-session", "-t", f"={app.name}", check=False)
        deadline = time.monotonic() + timeout
        while alive(app.pid):
            if time.monotonic() > deadline:
                os.kill(app.pid, signal.SIGKILL)
                break
            time.sleep(0.02)

    def close(self) -> None:
        self.tmux("kill-server", check=False)
        tmpdir = os.environ.get("TMUX_TMPDIR") or "/tmp"  # where tmux itself puts -L sockets
        Path(tmpdir, f"tmux-{os.getuid()}", self.socket).unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sandbox_env(box: Sandbox) -> dict[str, str]:
    """What points an app at the sandbox's cockpit state (and nowhere else)."""
    return {k: v for k, v in box.env.items() if k.startswith(("COCKPIT_", "XDG_", "GIT_"))}


def cockpit_board(screen: str) -> bool:
    """The board is up: connected to the supervisor, the workers table's header painted."""
    return "STATE" in screen and "● connected" in screen


class OpenTui:
    """`cockpit ui` open in a terminal on a sandbox, as an operator would keep it open."""

    def __init__(self, term: Terminal, box: Sandbox) -> None:
        self.term = term
        self.box = box
        self.app: Launched | None = None

    @property
    def pid(self) -> int:
        assert self.app is not None, "the TUI is not open"
        return self.app.pid

    def open(self, timeout: float = 60) -> float:
        """Start it and wait until the board shows; returns the seconds that took."""
        self.app = self.term.launch([sys.executable, "-m", "cockpit", "ui"], cwd=self.box.repo, env=sandbox_env(self.box))
        return self.term.wait_screen(self.app, {"board": cockpit_board}, timeout)["board"]

    def close(self) -> None:
        if self.app is not None:
            self.term.close_app(self.app)
            self.app = None
