"""The real `cockpit` program in a real terminal (a tmux pane on a private server): attaching
to a worker and coming back, idling without burning CPU, and, over a real SSH connection, a
dispatch and an approval driven with keys."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.service.client import SupervisorClient
from cockpit.service.workspace import Workspace

from .terminal import Terminal, cockpit_argv, terminal_env

pytestmark = [pytest.mark.tmux, pytest.mark.terminal]


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(120, 36)
    yield term
    term.kill()


def dispatch(ws: Workspace, prompt: str) -> str:
    return SupervisorClient(ws).call("dispatch", prompt=prompt, actor="test")["id"]


def test_attach_suspends_the_tui_and_detaching_brings_it_back(workspace: Workspace, repo: Path, terminal: Terminal) -> None:
    worker = dispatch(workspace, "@fake ask Continue?")
    terminal.start(cockpit_argv(), repo, terminal_env())
    terminal.wait_for("? WAITING")
    terminal.wait_for("Continue? [y/n]")  # the live pane
    terminal.keys("Enter")
    attached = terminal.wait_for(f"cockpit: {worker}")  # the worker's own tmux status line
    assert "detach: C-b d" in attached and "WAITING" not in attached
    terminal.keys("C-b", "d")
    terminal.wait_for("? WAITING")  # the TUI is back, still live
    terminal.wait_for("● connected")
    # Its idle CPU after the resume is a benchmark (benchmarks/bench_tui_idle.py), not a test.
    terminal.keys("q")
    terminal.wait_until(terminal.pane_dead, "the TUI to quit")
    # Quitting stopped nothing: the worker still waits.
    assert SupervisorClient(workspace, autostart=False).call("show", id=worker)["state"] == "waiting"


def test_resizing_keeps_it_usable(workspace: Workspace, repo: Path, terminal: Terminal) -> None:
    dispatch(workspace, "@fake ask Ready?")
    terminal.start(cockpit_argv(), repo, terminal_env())
    terminal.wait_for("? WAITING")
    for width, height in ((80, 24), (300, 80), (100, 30)):
        terminal._run("resize-window", "-t", "e2e", "-x", str(width), "-y", str(height))
        terminal.wait_until(
            lambda: all(t in terminal.screen() for t in ("? WAITING", "receipts", "Ready? [y/n]")),
            f"a full redraw at {width}x{height}",
            timeout=60,
        )
    terminal.keys("q")
    terminal.wait_until(terminal.pane_dead, "the TUI to quit")


# -- over SSH ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A throwaway sshd on a free localhost port that accepts one throwaway key."""
    binary = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(binary).exists() or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        pytest.fail("openssh-server and openssh-client are needed (.ci/run installs them)")
    home = tmp_path / "ssh"
    home.mkdir(mode=0o700)
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / name)], check=True)
    (home / "authorized_keys").write_text((home / "client_key.pub").read_text())
    port = free_port()
    config = home / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {home / 'host_key'}",
                f"PidFile {home / 'sshd.pid'}",
                f"AuthorizedKeysFile {home / 'authorized_keys'}",
                "PermitRootLogin yes",
                "UsePAM no",
                "StrictModes no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "PrintMotd no",
                "PrintLastLog no",
                "X11Forwarding no",
                "",
            ]
        )
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = open(home / "sshd.log", "wb")
    process = subprocess.Popen([binary, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield {"port": str(port), "key": str(home / "client_key"), "log": str(home / "sshd.log")}
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


@pytest.mark.slow
def test_dispatch_and_approve_over_ssh(workspace: Workspace, repo: Path, terminal: Terminal, sshd: dict[str, str]) -> None:
    import getpass

    remote = " ".join(
        [
            "env",
            *(shlex.quote(f"{k}={v}") for k, v in terminal_env().items()),
            "sh",
            "-c",
            shlex.quote(f"cd {shlex.quote(str(repo))} && exec {shlex.join(cockpit_argv())}"),
        ]
    )
    ssh = [
        "ssh",
        "-tt",
        "-p",
        sshd["port"],
        "-i",
        sshd["key"],
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        f"{getpass.getuser()}@127.0.0.1",
        remote,
    ]
    terminal.start(ssh, repo, terminal_env())
    try:
        terminal.wait_for("● connected", timeout=180)  # generous: the login shell's start-up (e.g. pyenv) runs first
    except AssertionError:
        raise AssertionError(Path(sshd["log"]).read_text() + "\nthe terminal shows:\n" + terminal.screen()) from None
    terminal.keys("n")
    terminal.wait_for("New dispatch")
    terminal.type("Ship hello")
    terminal.keys("Enter")
    terminal.type("@fake write hello.txt hi")
    terminal.keys("Enter")
    terminal.type("@fake commit add hello")
    terminal.keys("C-s")
    terminal.wait_for("Ship hello")
    terminal.wait_for("approve?", timeout=90)  # it exited 0, and its gates passed
    terminal.keys("a")
    confirm = terminal.wait_for("What will happen")
    assert "hello.txt" in confirm and "passed" in confirm
    terminal.keys("y")

    def on_main() -> bool:
        shown = subprocess.run(["git", "show", "main:hello.txt"], cwd=repo, capture_output=True, text=True)
        return shown.stdout == "hi"

    terminal.wait_until(on_main, "the approval to merge hello.txt into main")
    terminal.wait_for("✓1/1 merged")  # the row says so too
    # The approval names who gave it, over SSH.
    receipts = subprocess.run(
        cockpit_argv() + ["receipts", "tail", "-n", "50", "--json"], cwd=repo, capture_output=True, text=True, env={**os.environ}
    ).stdout
    assert '"kind":"approved"' in receipts and "ssh_client" in receipts
    terminal.keys("q")
    terminal.wait_until(terminal.pane_dead, "the ssh session to end")
