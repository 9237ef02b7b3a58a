"""cockpit's private tmux server on an SSH host, driven over the shared connection.

The same shape as runtime/tmux.py (one private server, `-f /dev/null`, remain-on-exit, the
pane-died hook signalling `cockpit-exit`, pipe-pane attached before the worker may start),
but every tmux client runs on the host through `SshLink.run`, several tmux commands
chained into one call so a step costs one round trip. The worker's pane runs
`sh <run script>` (see remote_layout.run_script): it waits on the gate, then execs the agent.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from cockpit.errors import UsageError
from cockpit.runtime.ssh import RemoteResult, SshLink, quote_all, remote_shell
from cockpit.runtime.tmux import BRACKETED_PASTE_END, HISTORY_LIMIT
from cockpit.runtime.tmux_formats import LIST_PANES_FORMAT, PaneInfo, parse_list_panes
from cockpit.runtime.tmux_names import (
    EXIT_CHANNEL,
    TmuxError,
    buffer_name,
    check_session_name,
    format_literal,
    gate_name,
    pane_target,
    session_target,
    tmux_arg,
)

_NOT_RUNNING = ("no server running", "error connecting to", "server exited unexpectedly")
_NO_SESSION = ("can't find session", "can't find pane", "can't find window")
STATUS_TIMEOUT_S = 20.0


def chain(*commands: Sequence[str]) -> list[str]:
    argv: list[str] = []
    for command in commands:
        if argv:
            argv.append(";")
        argv.extend(command)
    return argv


class RemoteTmux:
    """tmux -L `socket` on the host behind `link`."""

    def __init__(self, link: SshLink, socket: str) -> None:
        self.link = link
        self.socket = socket

    def command(self, argv: Sequence[str]) -> str:
        """A shell command line running one tmux client with `argv` (chained with ';')."""
        # -u: a client without a UTF-8 locale (a plain ssh command) would print tabs as "_".
        return quote_all(["tmux", "-u", "-f", "/dev/null", "-L", self.socket, *argv])

    def run(self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float = STATUS_TIMEOUT_S) -> RemoteResult:
        return self.link.run(self.command(argv), stdin=stdin, timeout=timeout)

    def _check(self, what: str, result: RemoteResult, *, quiet: tuple[str, ...] = ()) -> None:
        if result.code != 0 and not any(marker in result.stderr for marker in quiet):
            raise TmuxError(f"tmux {what} failed on {self.link.destination}: {result.stderr.strip() or 'no message'}")

    def option_commands(self, term: str) -> list[list[str]]:
        return [
            ["set-option", "-g", "default-terminal", term],
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

    def start_argv(self, name: str, *, cwd: str, script: str, log: str, width: int, height: int) -> list[str]:
        """One tmux invocation: options, the session running `sh script`, its pipe to `log`,
        then the gate that lets the script exec the agent (no byte printed before the pipe)."""
        check_session_name(name)
        pipe = f"cat >> {quote_all([log])}"
        return chain(
            *self.option_commands("screen-256color"),
            ["new-session", "-d", "-s", name, "-x", str(width), "-y", str(height),
             "-c", tmux_arg(format_literal(cwd)), "--", "sh", tmux_arg(script)],
            ["pipe-pane", "-O", "-t", pane_target(name), tmux_arg(format_literal(pipe))],
            ["wait-for", "-S", gate_name(name)],
        )  # fmt: skip

    def list_panes_script(self) -> str:
        """A shell snippet printing every pane (LIST_PANES_FORMAT), nothing when no server runs."""
        return self.command(["list-panes", "-a", "-F", LIST_PANES_FORMAT]) + " 2>/dev/null"

    def parse_panes(self, lines: Sequence[str]) -> tuple[list[PaneInfo], int | None, bool]:
        return parse_list_panes(lines)

    def nudge(self, server_pid: int) -> None:
        """tmux answers SIGCHLD with waitpid(WNOHANG): collect an exit it missed (see tmux.py)."""
        self.link.run(f"kill -CHLD {int(server_pid)} 2>/dev/null || true", timeout=STATUS_TIMEOUT_S)

    def has_session(self, name: str) -> bool:
        return self.run(["has-session", "-t", session_target(name)]).code == 0

    def kill_session(self, name: str) -> None:
        result = self.run(["kill-session", "-t", session_target(name)])
        self._check("kill-session", result, quiet=_NOT_RUNNING + _NO_SESSION)

    def kill_server(self) -> None:
        self._check("kill-server", self.run(["kill-server"]), quiet=_NOT_RUNNING)

    def pane_pid(self, name: str) -> int | None:
        result = self.run(["display-message", "-p", "-t", pane_target(name), "#{pane_pid}"])
        text = result.stdout.strip()
        return int(text) if result.code == 0 and text.isdigit() else None

    def capture(self, name: str, *, ansi: bool = False, start: int | None = None) -> str:
        argv = ["capture-pane", "-p", "-J", "-t", pane_target(name), *(["-e"] if ansi else [])]
        if start is not None:
            argv += ["-S", str(start)]
        result = self.run(argv)
        if result.code != 0:
            from cockpit.runtime.executor import SessionError

            raise SessionError(f"no session {name} on {self.link.destination}: {result.stderr.strip()}")
        return result.stdout.removesuffix("\n")

    def paste_text(self, name: str, text: str) -> None:
        if BRACKETED_PASTE_END in text:
            raise UsageError(
                "the text contains the bracketed-paste end marker ESC[201~, which would end the paste early",
                hint="deliver it as a prompt file instead",
            )
        buffer = buffer_name(name, secrets.token_hex(6))
        argv = chain(
            ["load-buffer", "-b", buffer, "-"], ["paste-buffer", "-p", "-r", "-d", "-b", buffer, "-t", pane_target(name)]
        )
        result = self.run(argv, stdin=text.encode("utf-8", "surrogateescape"))
        if result.code != 0:
            self.run(["delete-buffer", "-b", buffer])  # never leave the text behind on the host
            self._check("paste-buffer", result)

    def send_keys(self, name: str, *keys: str) -> None:
        self._check("send-keys", self.run(["send-keys", "-t", pane_target(name), "--", *map(tmux_arg, keys)]))

    def exit_waiter_command(self) -> str:
        return self.command(["wait-for", EXIT_CHANNEL])

    def attach_argv(self, name: str) -> list[str]:
        command = self.command(["attach-session", "-t", session_target(name)])
        return self.link.argv(remote_shell(command, self.link.remote_env), tty=True)
