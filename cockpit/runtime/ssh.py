"""One shared SSH connection per host, through the system `ssh`.

cockpit never speaks SSH itself: it runs the system `ssh`, so the user's ~/.ssh/config,
keys, agent and jump hosts work as they do in a terminal. Every call for one destination
goes over one master connection, whose control socket lives under cockpit's state
directory, so a command costs one round trip rather than a handshake. The master is
started on its own (`ssh -M -N -f`, stderr to a file): a master born inside a command
whose output is captured would hold that pipe open for ControlPersist's whole life.
Commands use ControlMaster=no, so with no master they connect directly rather than hang.
BatchMode keeps ssh from ever asking a question cockpit cannot answer. A one-off user (a
probe) that finds no shared master starts a *private* one (a socket name of its own, which
no other process uses) and ends it, socket and log, when done: nothing is left behind.

$COCKPIT_SSH_CONFIG names an ssh_config file to use instead of ~/.ssh/config (`ssh -F`);
the tests use it for their network-namespace hosts.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shlex
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cockpit.errors import CockpitError
from cockpit.runtime.private_files import private_dir
from cockpit.runtime.statedir import state_base

# ssh exits 255 when the connection itself failed (anything else is the remote command's code).
SSH_FAILED = 255
CONNECT_TIMEOUT_S = 10
CONTROL_PERSIST_S = 600
# sun_path is 108 bytes; the socket is "/" + %C (40 hex) + a private link's ".XXXXXXXX" (9)
# + the master's temporary ".XXXXXXXXXXXXXXXX" (17).
_SOCKET_PATH_LIMIT = 104
_SOCKET_NAME_CHARS = 67


class SshError(CockpitError):
    """The connection failed: `str()` is ssh's own last line of complaint."""


@dataclass(frozen=True)
class RemoteResult:
    code: int
    stdout: str
    stderr: str
    seconds: float
    raw_stdout: bytes = b""


def control_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where control sockets live: <state base>/ssh, or a short runtime path when that is too long."""
    inside = state_base(env) / "ssh"
    if len(str(inside)) + _SOCKET_NAME_CHARS <= _SOCKET_PATH_LIMIT:
        return inside
    runtime = Path(os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/cockpit-{os.getuid()}")
    return runtime / f"cockpit-ssh-{hashlib.sha256(str(inside).encode()).hexdigest()[:12]}"


def remote_shell(script: str, env: Mapping[str, str] | None = None) -> str:
    """A command line for the remote login shell: `env` exported, then `script` run by sh."""
    exports = "".join(f"export {k}={shlex.quote(v)}; " for k, v in (env or {}).items())
    return "sh -c " + shlex.quote(exports + script)


class SshLink:
    """The shared connection to one destination."""

    def __init__(self, destination: str, *, env: Mapping[str, str] | None = None, private: bool = False) -> None:
        self.destination = destination
        self.remote_env = dict(env or {})
        self.private = private
        self._control = control_dir()
        # The shared master's socket is %C (a hash of host, port, user); a private link's is its own.
        self._socket = f"%C.{secrets.token_hex(4)}" if private else "%C"
        key = hashlib.sha256(self.destination.encode()).hexdigest()[:12]
        self._log = self._control / (f"master-{key}{self._socket[2:]}.log")
        self._config = os.environ.get("COCKPIT_SSH_CONFIG") or None

    def __repr__(self) -> str:
        return f"SshLink({self.destination!r})"

    def ssh_options(self, *, master: bool = False) -> list[str]:
        """The options every ssh (and git-over-ssh) call for this link uses."""
        options = ["-F", self._config] if self._config else []
        options += [
            "-o",
            "BatchMode=yes",
            "-o",
            f"ControlMaster={'yes' if master else 'no'}",
            "-o",
            f"ControlPath={self._control}/{self._socket}",
            "-o",
            f"ControlPersist={CONTROL_PERSIST_S}",
            "-o",
            f"ConnectTimeout={CONNECT_TIMEOUT_S}",
            # A dead link is noticed within ~15 s rather than at TCP's leisure.
            "-o",
            "ServerAliveInterval=5",
            "-o",
            "ServerAliveCountMax=3",
        ]
        return options

    def connect(self, *, timeout: float = CONNECT_TIMEOUT_S + 20) -> None:
        """Start the master connection unless one is up. Raises SshError with ssh's complaint."""
        if self.check_master():
            return
        private_dir(self._control)
        log = self._log
        with open(log, "wb") as err:
            try:
                code = subprocess.run(
                    ["ssh", *self.ssh_options(master=True), "-N", "-f", self.destination],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    timeout=timeout,
                ).returncode
            except subprocess.TimeoutExpired:
                raise SshError(f"no answer from {self.destination} within {timeout:g}s") from None
            except FileNotFoundError:
                raise SshError("the `ssh` program is not installed here") from None
        if code != 0:
            text = log.read_text(errors="replace")
            raise SshError(ssh_complaint(text) or f"ssh to {self.destination} failed (exit {code})")

    def argv(self, command: str, *, tty: bool = False) -> list[str]:
        """`ssh … destination -- command`: the command is one string for the remote shell."""
        private_dir(self._control)
        return ["ssh", *self.ssh_options(), *(["-t"] if tty else ["-T"]), self.destination, "--", command]

    def git_ssh_command(self) -> str:
        """For GIT_SSH_COMMAND: git's own ssh calls ride the same master connection."""
        private_dir(self._control)
        return shlex.join(["ssh", *self.ssh_options()])

    def run(self, script: str, *, stdin: bytes | None = None, timeout: float = 60.0, check_link: bool = True) -> RemoteResult:
        """Run `script` (sh syntax) on the host with the host's `env`. Raises SshError when the
        connection failed, or when it timed out (a silent link)."""
        self.connect()
        started = time.monotonic()
        try:
            done = subprocess.run(
                self.argv(remote_shell(script, self.remote_env)),
                input=stdin if stdin is not None else b"",
                capture_output=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise SshError(f"no answer from {self.destination} within {timeout:g}s") from None
        except FileNotFoundError:
            raise SshError("the `ssh` program is not installed here") from None
        result = RemoteResult(
            done.returncode,
            done.stdout.decode(errors="replace"),
            done.stderr.decode(errors="replace"),
            time.monotonic() - started,
            done.stdout,
        )
        if check_link and result.code == SSH_FAILED:
            raise SshError(ssh_complaint(result.stderr) or f"ssh to {self.destination} failed (exit 255)")
        return result

    def popen(self, script: str, *, quiet: bool = False, **kwargs: object) -> subprocess.Popen[bytes]:
        """A long-running remote command (a log stream) over the shared connection. `quiet`:
        `ssh -q`, for a stream whose stderr is data (ssh's warnings would land in it)."""
        self.connect()
        argv = self.argv(remote_shell(script, self.remote_env))
        if quiet:
            argv.insert(1, "-q")
        return subprocess.Popen(argv, **kwargs)  # type: ignore[call-overload]

    def check_master(self) -> bool:
        """Whether a master connection is up (no network traffic beyond the local socket)."""
        try:
            done = subprocess.run(["ssh", *self.ssh_options(), "-O", "check", self.destination], capture_output=True, timeout=10)
        except (subprocess.TimeoutExpired, FileNotFoundError):
            return False
        return done.returncode == 0

    def close(self) -> None:
        """End the master connection (commands running over it end too); a private link's
        log goes with it."""
        subprocess.run(["ssh", *self.ssh_options(), "-O", "exit", self.destination], capture_output=True, timeout=10)
        if self.private:
            with contextlib.suppress(FileNotFoundError):
                self._log.unlink()


@contextlib.contextmanager
def one_off_link(destination: str, *, env: Mapping[str, str] | None = None) -> Iterator[SshLink]:
    """A link for a few commands (a probe): the shared master when one is up (live workers
    use it), else a private master ended on the way out, so a probe leaves no socket,
    process or log behind and never ends a connection someone else relies on."""
    shared = SshLink(destination, env=env)
    if shared.check_master():
        yield shared
        return
    link = SshLink(destination, env=env, private=True)
    try:
        yield link
    finally:
        link.close()


def ssh_complaint(stderr: str) -> str:
    """ssh's error, one line: its last non-empty line that is not a warning about known hosts."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and not line.startswith("Warning: Permanently added")]
    return lines[-1] if lines else ""


def quote_all(words: Sequence[str]) -> str:
    return " ".join(shlex.quote(w) for w in words)
