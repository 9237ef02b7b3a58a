"""`cockpit attach` to a worker on an SSH host, in a real terminal: `C-b d` detaches however
the keys arrive. Typed over ssh, an answer and the detach keys often reach the host's tmux in
one read (a busy host, a slow link); here they are made to, by stopping the host's tmux server
(SIGSTOP) until all three keys wait in its client's terminal."""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostkit import hosts_yaml, wait_for, write_user_hosts
from netns_lab import NetnsLab

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the terminal tests' helpers

from ui.terminal import Terminal, cockpit_argv, terminal_env  # noqa: E402

pytestmark = [pytest.mark.tmux]
LIMIT = 90.0  # generous: two cores shared with other test runs


@pytest.fixture
def attach_terminal() -> Iterator[Terminal]:
    term = Terminal(120, 36)
    yield term
    term.kill()


def waiting_input(tty: str) -> int:
    """How many typed bytes wait, unread, in the terminal `tty`."""
    fd = os.open(tty, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        return int(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0])
    finally:
        os.close(fd)


@pytest.mark.terminal
def test_an_answer_and_the_detach_keys_read_together_still_detach(cockpit, lab_env: NetnsLab, attach_terminal: Terminal) -> None:
    from cockpit.runtime.hosts_config import load_hosts
    from cockpit.runtime.remote_executor import RemoteExecutor

    write_user_hosts(hosts_yaml(lab_env, fake_on=("h2",)))
    worker = cockpit.dispatch("@fake ask Ready?", "--host", "h2")
    cockpit.wait(worker, until="waiting", timeout=LIMIT)
    env = {**terminal_env(), "COCKPIT_SSH_CONFIG": str(lab_env.ssh_config)}
    attach_terminal.start([*cockpit_argv(), "attach", worker], cockpit.repo, env)
    attached = attach_terminal.wait_for(f"cockpit: {worker}", timeout=LIMIT)  # the host's tmux status line
    assert "Ready? [y/n]" in attached
    host = load_hosts(cockpit.repo).get("h2")
    assert host is not None
    tmux = RemoteExecutor(host, cockpit.ws.state, cockpit.ws.git).tmux
    server = int(tmux.run(["display-message", "-p", "#{pid}"]).stdout.strip())
    (client_tty,) = tmux.run(["list-clients", "-F", "#{client_tty}"]).stdout.split()
    os.kill(server, signal.SIGSTOP)
    try:
        attach_terminal.keys("y")
        attach_terminal.keys("C-b", "d")
        wait_for(lambda: waiting_input(client_tty) >= 3, LIMIT, lambda: f"{waiting_input(client_tty)} of 3 keys on the host")
    finally:
        os.kill(server, signal.SIGCONT)
    attach_terminal.wait_until(attach_terminal.pane_dead, "`cockpit attach` to return", timeout=LIMIT)
    # tmux's goodbye, printed where the cursor was before the attach: ssh's "Shared connection
    # ... closed." after it may scroll it off the screen, so it is looked for in the scrollback
    assert "[detached (from session" in attach_terminal.scrollback()
    cockpit.wait(worker, until="exited", timeout=LIMIT)
    assert cockpit.show(worker)["exit_code"] == 0
    # The agent got the answer alone: the detach keys went to tmux, not to it.
    assert Path(cockpit.show(worker)["log"]).read_bytes().startswith(b"Ready? [y/n] y\r\n")
