"""A real terminal for end-to-end tests: a tmux pane on a private server (`-L`, never the
user's default), driven with send-keys and read with capture-pane."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path


def cockpit_argv() -> list[str]:
    """The installed `cockpit` program next to this Python, or the module when there is none."""
    script = Path(sys.executable).with_name("cockpit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cockpit"]


def terminal_env() -> dict[str, str]:
    # TMUX_TMPDIR too: `cockpit attach` inside the pane must find the servers where the supervisor made them
    keep = ("COCKPIT_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "HOME", "PATH", "USER", "LANG", "LC_ALL", "TMUX_TMPDIR")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["TERM"] = "xterm-256color"
    env.setdefault("LANG", "C.UTF-8")
    return env


class Terminal:
    def __init__(self, width: int = 120, height: int = 36) -> None:
        self.socket = f"cockpit-e2e-{uuid.uuid4().hex[:10]}"
        self.width, self.height = width, height
        self.tmux = shutil.which("tmux") or "tmux"

    def _run(self, *args: str, check: bool = True) -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        done = subprocess.run([self.tmux, "-f", "/dev/null", "-L", self.socket, *args], capture_output=True, text=True, env=env)
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def start(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        """Run `argv` as the pane's own process (so its pid is the pane's pid)."""
        exports = [f"{k}={v}" for k, v in env.items()]
        self._run(
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            "-c",
            str(cwd),
            "env",
            "-i",
            *exports,
            *argv,
        )
        self._run("set-option", "-t", "e2e", "remain-on-exit", "on")

    def keys(self, *keys: str) -> None:
        self._run("send-keys", "-t", "e2e", *keys)

    def type(self, text: str) -> None:
        self._run("send-keys", "-t", "e2e", "-l", text)

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-t", "e2e", check=False)

    def scrollback(self) -> str:
        """The screen and every line scrolled off it (what a message printed at the bottom pushed up)."""
        return self._run("capture-pane", "-p", "-S", "-", "-t", "e2e", check=False)

    def screen_ansi(self) -> str:
        """The screen with its colours (SGR sequences), to tell themes apart."""
        return self._run("capture-pane", "-p", "-e", "-t", "e2e", check=False)

    def pane_pid(self) -> int:
        return int(self._run("display-message", "-p", "-t", "e2e", "#{pane_pid}").strip())

    def pane_dead(self) -> bool:
        return self._run("display-message", "-p", "-t", "e2e", "#{pane_dead}", check=False).strip() == "1"

    def wait_for(self, text: str, timeout: float = 45.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the terminal shows:\n{screen}")

    def wait_until(self, predicate, what: str, timeout: float = 45.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the terminal shows:\n{self.screen()}")

    def back_on_board(self, gone_text: str, what: str, timeout: float = 45.0) -> None:
        """Wait until the board is in front again: its workers panel right under the header, and
        `gone_text` (what was in front: a dialog's title, a screen's line) off the screen.

        Only that proves an Escape was read. Textual reads a lone Escape after a 100 ms delay, and
        a key sent sooner reaches it *with* the Escape, as alt+key. So pick a `gone_text` nothing
        else can hide: a toast (bottom right) can cover a dialog's buttons, never its title."""

        def board() -> bool:
            screen = self.screen()
            lines = screen.splitlines()
            return len(lines) > 1 and lines[1].startswith("─workers") and gone_text not in screen

        self.wait_until(board, what, timeout=timeout)

    def kill(self) -> None:
        self._run("kill-server", check=False)
        tmpdir = os.environ.get("TMUX_TMPDIR") or "/tmp"
        (Path(tmpdir) / f"tmux-{os.getuid()}" / self.socket).unlink(missing_ok=True)  # tmux may leave it behind
