"""Where cockpit keeps things on an SSH host, and the script a remote worker's pane runs.

Under the host's `root`, per repository (its state-dir key, so two repositories never meet):

    <root>/repos/<key>.git            a bare clone cockpit manages (the base is pushed into it)
    <root>/worktrees/<key>/<id>       the worker's checkout, on branch cockpit/<id>
    <root>/run/<key>/<id>/run.sh      what the pane runs: wait on the gate, then exec the agent
    <root>/run/<key>/<id>/output.log  every byte the pane printed (tmux pipe-pane)
    <root>/run/<key>/<id>/signals.ndjson   the CLI's hooks append here ($COCKPIT_SIGNALS)
    <root>/run/<key>/<id>/stdin, prompt    copies of the local prompt files
    <root>/run/<key>/<id>/signal-hook.sh, gemini-signals.json, opencode-signals.js
                                      cockpit's hook wiring, copied per worker (hook_files)

cockpit installs nothing else on the host: the pane's launcher is `sh`.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import shlex
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cockpit.runtime.provider_launch import data_file

# Variables of the local worker environment that name local things: never sent to a host.
LOCAL_ONLY = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "SHELL",
        "PWD",
        "OLDPWD",
        "TMPDIR",
        "TMUX",
        "TMUX_PANE",
        "TERM",
        "PYTHONPATH",
        "VIRTUAL_ENV",
        "SSH_AUTH_SOCK",
        "SSH_CONNECTION",
        "SSH_CLIENT",
        "SSH_TTY",
        "MAIL",
        "DISPLAY",
        "XDG_RUNTIME_DIR",
        "XDG_CONFIG_HOME",
        "XDG_STATE_HOME",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
        "COCKPIT_HOME",
        "COCKPIT_SOCKET",
        "COCKPIT_PYTHON",
        "COCKPIT_POLICY",
        "COCKPIT_DATA_DIR",
        "COCKPIT_SIGNAL_HOOK",
        "COCKPIT_SSH_CONFIG",
    }
)


@dataclass(frozen=True)
class RemoteLayout:
    root: str
    repo_key: str

    @property
    def repo(self) -> str:
        return posixpath.join(self.root, "repos", f"{self.repo_key}.git")

    def worktree(self, dispatch_id: str) -> str:
        return posixpath.join(self.root, "worktrees", self.repo_key, dispatch_id)

    def run_dir(self, dispatch_id: str) -> str:
        return posixpath.join(self.root, "run", self.repo_key, dispatch_id)

    def log(self, dispatch_id: str) -> str:
        return posixpath.join(self.run_dir(dispatch_id), "output.log")

    def signals(self, dispatch_id: str) -> str:
        return posixpath.join(self.run_dir(dispatch_id), "signals.ndjson")

    def script(self, dispatch_id: str) -> str:
        return posixpath.join(self.run_dir(dispatch_id), "run.sh")

    @property
    def tmux_socket(self) -> str:
        """One private tmux server per root and repository: `tmux -L cockpit-<root>-<repo>`."""
        return f"{tmux_socket_prefix(self.root)}-{hashlib.sha256(self.repo_key.encode()).hexdigest()[:8]}"


def tmux_socket_prefix(root: str) -> str:
    """Every cockpit tmux server under one root starts with this (`cockpit hosts` counts them)."""
    return "cockpit-" + hashlib.sha256(root.encode()).hexdigest()[:12]


def remote_env(local_env: Mapping[str, str], local_os_env: Mapping[str, str], host_env: Mapping[str, str]) -> dict[str, str]:
    """The variables a remote worker gets on top of the host's login environment.

    From the local worker environment: every variable cockpit or the provider set (those not
    simply inherited from this process's own environment), except ones naming local things;
    then the host's `env` from hosts.yaml, which wins.
    """
    chosen = {key: value for key, value in local_env.items() if key not in LOCAL_ONLY and local_os_env.get(key) != value}
    chosen.update(host_env)
    return chosen


# cockpit/data files that a CLI's hook wiring names through the environment
# ($COCKPIT_SIGNAL_HOOK, $COCKPIT_DATA_DIR, the catalog's signals.data_env).
HOOK_FILES = ("signal-hook.sh", "gemini-signals.json", "opencode-signals.js")


def hook_files(local_env: Mapping[str, str], env: dict[str, str], run_dir: str) -> dict[str, bytes]:
    """The hook wiring for a worker on a host: copies of cockpit's hook files for its run
    directory (the host has no cockpit), and `env` (the remote worker's) pointed at them:
    $COCKPIT_SIGNAL_HOOK, $COCKPIT_DATA_DIR, and every variable whose local value named one
    of those files (gemini's settings). The hook script needs only `sh`, `tr` and `printf`."""
    files = {name: data_file(name).read_bytes() for name in HOOK_FILES}
    for key, value in local_env.items():
        if posixpath.basename(value) in HOOK_FILES and posixpath.isabs(value) and key in env:
            env[key] = posixpath.join(run_dir, posixpath.basename(value))
    env["COCKPIT_SIGNAL_HOOK"] = posixpath.join(run_dir, "signal-hook.sh")
    env["COCKPIT_DATA_DIR"] = run_dir
    return files


def run_script(
    *,
    tmux_socket: str,
    gate: str,
    cwd: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    stdin: str | None,
    prompt: str | None,
    prompt_arg_index: int | None,
) -> str:
    """The pane's program (POSIX sh): wait for the gate (pipe-pane is attached by then), then
    run the agent with `env` added, its prompt file as one argument byte for byte (trailing
    newlines kept), stdin from `stdin`. 127 when the agent cannot start, like a shell.

    The agent is the shell's child, not exec'd: tmux continues a pane's process group as soon
    as the pane's own process stops, so only an agent that is not the pane's process can be
    paused (SIGSTOP to it, never to this shell; a shell without job control does not notice a
    child stopping). Ctrl-C reaches both: the shell's no-op trap lets the agent decide (a
    caught signal is reset for the child). It exits as the agent did: its code, or its
    terminating signal re-raised on itself, so tmux reports the pane dead by that signal."""
    words = [shlex.quote(word) for word in argv]
    lines = ["#!/bin/sh", f"tmux -L {shlex.quote(tmux_socket)} wait-for {shlex.quote(gate)}"]
    lines.append(f"cd {shlex.quote(cwd)} || exit 127")
    if prompt is not None and prompt_arg_index is not None:
        lines.append(f"p=$(cat {shlex.quote(prompt)}; printf x) || exit 127")
        lines.append("p=${p%x}")
        words[prompt_arg_index] = '"$p"'
    assignments = [shlex.quote(f"{key}={value}") for key, value in env.items()]
    redirect = f" < {shlex.quote(stdin)}" if stdin is not None else ""
    lines.append("trap : INT QUIT")
    lines.append(f"env {' '.join(assignments)} {' '.join(words)}{redirect}".replace("env  ", "env "))
    lines.append("st=$?; trap - INT QUIT")
    # HUP INT KILL PIPE ALRM TERM: re-raised (never STOP or a core-dumping one).
    lines.append("case $st in 129|130|137|141|142|143) kill -$((st - 128)) $$ ;; esac")
    lines.append("exit $st")
    return "\n".join(lines) + "\n"


def tar_files(files: dict[str, bytes]) -> bytes:
    """A tar of `files` (name -> bytes, mode 0600) for a run directory: one ssh call unpacks it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
