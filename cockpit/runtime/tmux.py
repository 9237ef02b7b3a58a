"""cockpit's adapter to tmux: one private server per repository, one session per worker.

Why it is shaped this way:
- Private server (`-L <socket>`, `-f /dev/null`): the user's default server and
  ~/.tmux.conf are never touched, so users and tests get the same behaviour.
- No lost output: a session starts the launcher (cockpit.runtime.launch), which
  blocks on a wait-for gate; `start_session` attaches pipe-pane to the log and only
  then signals the gate, all in ONE tmux invocation. tmux remembers a wait-for
  signal sent before anyone waits, so the order cannot race.
- Exit status kept: `remain-on-exit on`; the pane-died hook signals the wait-for
  channel `cockpit-exit`, so a supervisor blocks on `exit_waiter_argv()` instead of
  polling, then asks `list_panes()` (one `list-panes -a` for all workers).
- Prompts: a named buffer per paste (never the shared default buffer), fed on
  stdin (tmux arguments are limited to ~16 KB), pasted and deleted in one call.
- The server lives while it has sessions (tmux's default `exit-empty on`); every
  `start_session` applies cockpit's options in the same invocation, so a server
  that died and came back is configured again without an extra call.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import libtmux
from libtmux import exc as libtmux_exc

from cockpit.errors import UsageError
from cockpit.runtime.launch import write_launch_spec
from cockpit.runtime.private_files import touch_private
from cockpit.runtime.tmux_formats import (
    LIST_PANES_FORMAT,
    PaneInfo,
    default_terminal,
    int_or_none,
    parse_list_panes,
    parse_pane_line,
)
from cockpit.runtime.tmux_names import (
    EXIT_CHANNEL,
    TmuxError,
    TmuxNameError,
    TmuxNotRunning,
    buffer_name,
    check_session_name,
    check_socket_name,
    format_literal,
    gate_name,
    pane_target,
    session_target,
    socket_name_for,
    tmux_arg,
)

__all__ = [
    "EXIT_CHANNEL",
    "PaneInfo",
    "TmuxError",
    "TmuxNameError",
    "TmuxNotRunning",
    "TmuxServer",
    "gate_name",
    "socket_name_for",
    "default_terminal",
    "parse_pane_line",
    "write_launch_spec",
]

HISTORY_LIMIT = 50_000
BRACKETED_PASTE_END = "\x1b[201~"
START_TRIES = 5  # a command that meets the server exiting empty tries again (`_raw_starting_server`)
_NOT_RUNNING = ("no server running", "error connecting to", "server exited unexpectedly")
# "no current target": the server is still up but has no session left (it is about to exit).
_NO_SESSION = ("can't find session", "can't find pane", "can't find window", "no current target")


def _nudge(server_pid: int) -> None:
    try:  # tmux answers SIGCHLD with waitpid(WNOHANG) for all its children
        os.kill(server_pid, signal.SIGCHLD)
    except OSError:
        pass


def _chain(*commands: Sequence[str]) -> list[str]:
    """Several tmux commands as one argv: separate ';' elements, run in order by one client."""
    argv: list[str] = []
    for command in commands:
        if argv:
            argv.append(";")
        argv.extend(command)
    return argv


def _stderr_text(lines: Sequence[str]) -> str:
    return " ".join(line.strip() for line in lines if line.strip())


class TmuxServer:
    """cockpit's private tmux server for one repository (`tmux -L socket_name`)."""

    def __init__(self, socket_name: str, *, tmux_bin: str | None = None) -> None:
        self.socket_name = check_socket_name(socket_name)
        self.tmux_bin = tmux_bin or shutil.which("tmux") or "tmux"
        self._server = libtmux.Server(socket_name=self.socket_name, config_file="/dev/null", tmux_bin=self.tmux_bin)

    def __repr__(self) -> str:
        return f"TmuxServer({self.socket_name!r})"

    # -- running tmux ---------------------------------------------------------------

    def _base_argv(self) -> list[str]:
        return [self.tmux_bin, "-f", "/dev/null", "-L", self.socket_name]

    def _raw(self, argv: Sequence[str]) -> tuple[int, list[str], str]:
        """Run one tmux client; return (returncode, stdout lines, stderr text)."""
        try:
            result = self._server.cmd(argv[0], *argv[1:])
        except libtmux_exc.TmuxCommandNotFound:
            raise TmuxError("tmux is not installed", hint="install tmux 3.2 or newer") from None
        return result.returncode, list(result.stdout), _stderr_text(result.stderr)

    def _run(self, argv: Sequence[str]) -> list[str]:
        returncode, stdout, stderr = self._raw(argv)
        if returncode != 0:
            raise self._error(argv[0], stderr)
        return stdout

    def _raw_starting_server(self, argv: Sequence[str]) -> tuple[int, list[str], str]:
        """`_raw` for a command that starts the server when none runs. A server with no
        session left exits (exit-empty); a client that reaches it in that moment fails with
        "server exited unexpectedly" and the command is lost with the server. Trying again
        then starts a fresh server, as the first try would have a moment later."""
        for attempt in range(1, START_TRIES + 1):
            returncode, stdout, stderr = self._raw(argv)
            if returncode == 0 or attempt == START_TRIES or not any(m in stderr for m in _NOT_RUNNING):
                return returncode, stdout, stderr
            time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")  # the loop returns on its last try

    def _error(self, command: str, stderr: str) -> TmuxError:
        if any(marker in stderr for marker in _NOT_RUNNING):
            return TmuxNotRunning(
                f"cockpit's tmux server {self.socket_name!r} is not running",
                hint="its workers are gone; dispatch them again",
            )
        return TmuxError(f"tmux {command} failed on server {self.socket_name!r}: {stderr or 'no message'}")

    def _option_commands(self) -> list[list[str]]:
        return [
            ["set-option", "-g", "default-terminal", default_terminal()],
            ["set-option", "-g", "history-limit", str(HISTORY_LIMIT)],
            ["set-option", "-g", "escape-time", "10"],
            # Keys that arrive together (typed over ssh, or read late on a busy machine) are
            # still keys: tmux's paste guess would hand `C-b d` to the agent instead of detaching.
            ["set-option", "-g", "assume-paste-time", "0"],
            ["set-option", "-gw", "remain-on-exit", "on"],
            ["set-option", "-g", "status-left-length", "60"],
            ["set-option", "-g", "status-left", "#[reverse] cockpit: #{session_name} #[default] "],
            ["set-option", "-g", "status-right", " detach: C-b d "],
            ["set-hook", "-g", "pane-died", f"wait-for -S {EXIT_CHANNEL}"],
        ]

    # -- server ---------------------------------------------------------------------

    def ensure_server(self) -> None:
        """Start the server if needed and (re)apply cockpit's options in one call.

        With no sessions tmux exits again at once (exit-empty); `start_session`
        applies the same options itself, so calling this first is optional.
        """
        returncode, _, stderr = self._raw_starting_server(_chain(["start-server"], *self._option_commands()))
        if returncode != 0:
            raise self._error("start-server", stderr)

    def is_alive(self) -> bool:
        returncode, _, _ = self._raw(["list-sessions", "-F", "#{session_name}"])
        return returncode == 0

    def kill_server(self) -> None:
        """Kill the server and every worker on it; no error when it is not running."""
        returncode, _, stderr = self._raw(["kill-server"])
        if returncode != 0 and not any(marker in stderr for marker in _NOT_RUNNING):
            raise self._error("kill-server", stderr)

    def exit_waiter_argv(self) -> list[str]:
        """A command that returns when a pane dies (or the server exits).

        Signals sent while nobody waits are remembered (coalesced), so no exit is
        missed between two waits. It fails at once when no server is running:
        start it only while `list_panes()` has panes.
        """
        return [self.tmux_bin, "-L", self.socket_name, "wait-for", EXIT_CHANNEL]

    # -- sessions -------------------------------------------------------------------

    def start_session(
        self,
        name: str,
        *,
        cwd: Path,
        spec_path: Path,
        log_path: Path,
        width: int = 200,
        height: int = 50,
        env: dict[str, str] | None = None,
    ) -> None:
        """Start worker `name`: launcher in `cwd`, every byte of output appended to `log_path`.

        The caller writes `spec_path` first with `write_launch_spec`, using
        `gate=gate_name(name)` and `socket=self.socket_name`. `env` sets variables
        for the launcher process only (the agent's environment is in the spec).
        """
        check_session_name(name)
        if not Path(cwd).is_dir():
            raise TmuxError(f"cannot start worker {name}: {cwd} is not a directory")
        if not Path(spec_path).is_file():
            raise TmuxError(f"cannot start worker {name}: launch spec {spec_path} does not exist")
        try:  # create the log now (0600): pipe-pane's `cat` would fail silently and lose output
            touch_private(Path(log_path))
        except OSError as error:
            raise TmuxError(f"cannot start worker {name}: cannot write log {log_path}: {error.strerror}") from None

        launcher_env = dict(env or {})
        if "PYTHONPATH" in os.environ:  # so the launcher imports the same cockpit as we do
            launcher_env.setdefault("PYTHONPATH", os.environ["PYTHONPATH"])
        env_flags: list[str] = []
        for key, value in launcher_env.items():
            if not key or "=" in key:
                raise TmuxError(f"cannot start worker {name}: bad environment variable name {key!r}")
            env_flags += ["-e", tmux_arg(f"{key}={value}")]

        # -P: never import a `cockpit` package from the worktree (the cwd) instead of ours.
        launcher = [sys.executable, "-P", "-m", "cockpit.runtime.launch", os.fspath(spec_path)]
        pipe_command = f"cat >> {shlex.quote(os.fspath(log_path))}"
        argv = _chain(
            *self._option_commands(),
            ["new-session", "-d", "-s", name, "-x", str(width), "-y", str(height),
             "-c", tmux_arg(format_literal(os.fspath(cwd))), *env_flags,
             "--", *map(tmux_arg, launcher)],
            ["pipe-pane", "-O", "-t", pane_target(name), tmux_arg(format_literal(pipe_command))],
            ["wait-for", "-S", gate_name(name)],
        )  # fmt: skip
        returncode, _, stderr = self._raw_starting_server(argv)
        if returncode != 0:
            if "duplicate session" not in stderr:  # never kill a live worker of the same name
                self._raw(["kill-session", "-t", session_target(name)])
            raise self._error("new-session", stderr)

    def has_session(self, name: str) -> bool:
        returncode, _, _ = self._raw(["has-session", "-t", session_target(name)])
        return returncode == 0

    def kill_session(self, name: str) -> None:
        """Kill worker `name` (its log pipe closes); no error when it is already gone."""
        returncode, _, stderr = self._raw(["kill-session", "-t", session_target(name)])
        if returncode != 0 and not any(m in stderr for m in _NOT_RUNNING + _NO_SESSION):
            raise self._error("kill-session", stderr)

    def resize(self, name: str, width: int, height: int) -> None:
        """Resize the worker's window; an attaching client may resize it again later."""
        target = pane_target(name)
        self._run(
            _chain(
                ["resize-window", "-t", target, "-x", str(width), "-y", str(height)],
                # resize-window pins window-size to manual; unpin so attach still fits.
                ["set-option", "-w", "-t", target, "-u", "window-size"],
            )
        )

    # -- queries --------------------------------------------------------------------

    def list_panes(self) -> list[PaneInfo]:
        """Every pane on the server in one call; [] when the server is not running.

        A pane whose process exited but was not reaped yet reads as alive, and
        tmux gets nudged to reap it (see `reap`), so its pane-died hook fires soon.
        """
        returncode, stdout, stderr = self._raw(["list-panes", "-a", "-F", LIST_PANES_FORMAT])
        if returncode != 0:
            if any(marker in stderr for marker in (*_NOT_RUNNING, "no current target")):  # see _NO_SESSION
                return []
            raise self._error("list-panes", stderr)
        panes, server_pid, unreaped = parse_list_panes(stdout)
        if unreaped and server_pid:
            _nudge(server_pid)
        return panes

    def reap(self) -> None:
        """Make tmux collect exit statuses it missed (a lost SIGCHLD, see launch.py); cheap and harmless."""
        returncode, stdout, _ = self._raw(["display-message", "-p", "#{pid}"])
        if returncode == 0 and stdout and (server_pid := int_or_none(stdout[0])):
            _nudge(server_pid)

    def pane_pid(self, name: str) -> int | None:
        """The pid in the worker's pane (the agent, after the launcher's exec); None if no session."""
        returncode, stdout, _ = self._raw(["display-message", "-p", "-t", pane_target(name), "#{pane_pid}"])
        if returncode != 0 or not stdout:
            return None
        return int_or_none(stdout[0])

    def capture(self, name: str, *, ansi: bool = False, start: int | None = None) -> str:
        """The visible screen (or from line `start`, negative = history), wrapped lines joined."""
        argv = ["capture-pane", "-p", "-J", "-t", pane_target(name)]
        if ansi:
            argv.append("-e")
        if start is not None:
            argv += ["-S", str(start)]
        return "\n".join(self._run(argv))

    # -- input ----------------------------------------------------------------------

    def paste_text(self, name: str, text: str) -> None:
        """Paste `text` into the worker byte-exact, as a bracketed paste if the app asked for one.

        The text goes on stdin into a buffer named for this paste alone, which
        paste-buffer deletes: concurrent pastes never see each other's text.
        """
        if BRACKETED_PASTE_END in text:
            raise UsageError(
                "the text contains the bracketed-paste end marker ESC[201~, which would end the paste early",
                hint="deliver it as a prompt file instead",
            )
        target = pane_target(name)
        buffer = buffer_name(name, secrets.token_hex(6))
        argv = self._base_argv() + _chain(
            ["load-buffer", "-b", buffer, "-"],
            ["paste-buffer", "-p", "-r", "-d", "-b", buffer, "-t", target],
        )
        try:
            result = subprocess.run(argv, input=text.encode("utf-8", "surrogateescape"), capture_output=True, check=False)
        except FileNotFoundError:
            raise TmuxError("tmux is not installed", hint="install tmux 3.2 or newer") from None
        if result.returncode != 0:
            self._raw(["delete-buffer", "-b", buffer])  # paste failed after load: do not leave the text behind
            raise self._error("paste-buffer", result.stderr.decode("utf-8", "replace").strip())

    def send_keys(self, name: str, *keys: str, literal: bool = False) -> None:
        """Send keys (tmux key names like "Enter", "C-c"; or text with literal=True)."""
        argv = ["send-keys", "-t", pane_target(name)]
        if literal:
            argv.append("-l")
        self._run([*argv, "--", *map(tmux_arg, keys)])

    # -- attaching ------------------------------------------------------------------

    def attach_argv(self, name: str) -> list[str]:
        """The command that attaches this terminal to worker `name`; detaching (C-b d) returns."""
        return [self.tmux_bin, "-f", "/dev/null", "-L", self.socket_name, "attach-session", "-t", session_target(name)]

    @staticmethod
    def attach_env() -> dict[str, str]:
        """The environment for `attach_argv`: without $TMUX, so it works from inside another tmux."""
        return {key: value for key, value in os.environ.items() if key not in ("TMUX", "TMUX_PANE")}
