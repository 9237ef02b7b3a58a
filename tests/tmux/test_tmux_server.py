"""The private server: lifecycle, queries, exit events, attaching."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from cockpit.runtime.tmux import EXIT_CHANNEL, TmuxError, TmuxNameError, TmuxNotRunning, TmuxServer

from .helpers import pane_of, start_worker, tmux_raw, wait_exited, wait_log, wait_until

pytestmark = pytest.mark.tmux


def test_the_constructor_refuses_the_default_server() -> None:
    for name in ("", "default", "a/b", "two words"):
        with pytest.raises(TmuxNameError):
            TmuxServer(name)
    with pytest.raises(ValueError):  # also a ValueError, as callers may expect
        TmuxServer("default")


def test_a_server_that_is_not_running_answers_without_errors(tmux_server: TmuxServer) -> None:
    assert tmux_server.list_panes() == []
    assert not tmux_server.is_alive()
    assert not tmux_server.has_session("nobody")
    assert tmux_server.pane_pid("nobody") is None
    tmux_server.kill_session("nobody")
    tmux_server.kill_server()
    with pytest.raises(TmuxNotRunning, match="not running"):
        tmux_server.capture("nobody")


def test_start_session_refuses_bad_names_and_missing_paths(tmux_server: TmuxServer, tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text("{}")
    with pytest.raises(TmuxNameError):
        tmux_server.start_session("bad name", cwd=tmp_path, spec_path=spec, log_path=tmp_path / "log")
    with pytest.raises(TmuxError, match="not a directory"):
        tmux_server.start_session("w", cwd=tmp_path / "nope", spec_path=spec, log_path=tmp_path / "log")
    with pytest.raises(TmuxError, match="cannot write log"):
        tmux_server.start_session("w", cwd=tmp_path, spec_path=spec, log_path=tmp_path / "no" / "log")
    assert not tmux_server.is_alive()


def test_a_duplicate_name_fails_and_leaves_the_running_worker_alone(tmux_server: TmuxServer, tmp_path: Path) -> None:
    first = start_worker(tmux_server, tmp_path, "dup", ["/bin/sh", "-c", "echo ONE; exec sleep 30"])
    wait_log(first, b"ONE")
    with pytest.raises(TmuxError, match="duplicate session"):
        start_worker(tmux_server, tmp_path / "second", "dup", ["/bin/sh", "-c", "echo TWO"])
    pane = pane_of(tmux_server, "dup")
    assert pane is not None and not pane.dead
    assert len(tmux_server.list_panes()) == 1


def test_list_panes_reports_every_worker_in_one_sweep(tmux_server: TmuxServer, tmp_path: Path) -> None:
    start_worker(tmux_server, tmp_path, "alive", ["sleep", "30"])
    start_worker(tmux_server, tmp_path, "done", ["/bin/sh", "-c", "exit 3"])
    wait_exited(tmux_server, "done")
    wait_until(lambda: (p := pane_of(tmux_server, "alive")) and p.command == "sleep", what="sleep to run")
    panes = {pane.session: pane for pane in tmux_server.list_panes()}
    assert set(panes) == {"alive", "done"}
    alive, done = panes["alive"], panes["done"]
    assert (alive.dead, alive.dead_status, alive.width, alive.height) == (False, None, 200, 50)
    assert alive.pane_id.startswith("%") and alive.pid and abs(alive.activity - time.time()) < 60
    assert (done.dead, done.dead_status) == (True, 3)


def test_capture_shows_the_screen_with_or_without_colours(tmux_server: TmuxServer, tmp_path: Path) -> None:
    worker = start_worker(tmux_server, tmp_path, "screen", ["/bin/sh", "-c", "printf '\\033[31mRED\\033[0m\\n'; exec sleep 30"])
    wait_log(worker, b"RED")
    wait_until(lambda: "RED" in tmux_server.capture("screen"), what="RED on the screen")
    assert "\x1b[" not in tmux_server.capture("screen")
    assert "\x1b[31mRED" in tmux_server.capture("screen", ansi=True)
    assert "RED" in tmux_server.capture("screen", start=-100)


def test_resize_changes_the_pane_size(tmux_server: TmuxServer, tmp_path: Path) -> None:
    start_worker(tmux_server, tmp_path, "size", ["sleep", "30"])
    tmux_server.resize("size", 90, 20)
    pane = pane_of(tmux_server, "size")
    assert pane is not None and (pane.width, pane.height) == (90, 20)


def test_kill_session_ends_the_worker_and_closes_its_log(tmux_server: TmuxServer, tmp_path: Path) -> None:
    worker = start_worker(tmux_server, tmp_path, "victim", ["/bin/sh", "-c", "echo UP; exec sleep 30"])
    start_worker(tmux_server, tmp_path, "bystander", ["sleep", "30"])
    wait_log(worker, b"UP")
    pid = tmux_server.pane_pid("victim")
    assert pid is not None
    tmux_server.kill_session("victim")
    assert not tmux_server.has_session("victim") and tmux_server.has_session("bystander")
    wait_until(lambda: not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2],
               what="the agent to end")  # fmt: skip
    tmux_server.kill_session("victim")  # already gone: no error


def test_the_server_lives_only_while_it_has_sessions(tmux_server: TmuxServer, tmp_path: Path) -> None:
    tmux_server.ensure_server()  # applies the options; with no session tmux exits again
    start_worker(tmux_server, tmp_path, "only", ["sleep", "30"])
    assert tmux_server.is_alive()
    options = tmux_raw(tmux_server, "show-options", "-g", "history-limit").stdout
    assert options.strip() == "history-limit 50000"
    assert tmux_raw(tmux_server, "show-options", "-gw", "remain-on-exit").stdout.strip() == "remain-on-exit on"
    tmux_server.kill_session("only")
    wait_until(lambda: not tmux_server.is_alive(), what="the empty server to exit")


def test_wait_for_remembers_a_signal_sent_before_anyone_waits(tmux_server: TmuxServer, tmp_path: Path) -> None:
    # The launch gate relies on this tmux behaviour (checked on the installed tmux).
    start_worker(tmux_server, tmp_path, "keepalive", ["sleep", "30"])
    assert tmux_raw(tmux_server, "wait-for", "-S", "early-channel").returncode == 0
    waiter = subprocess.run([tmux_server.tmux_bin, "-L", tmux_server.socket_name, "wait-for", "early-channel"], timeout=60)
    assert waiter.returncode == 0


def test_the_exit_waiter_wakes_when_a_worker_exits(tmux_server: TmuxServer, tmp_path: Path) -> None:
    worker = start_worker(tmux_server, tmp_path, "reader", ["/bin/sh", "-c", "echo WAITING; read line; exit 4"])
    wait_log(worker, b"WAITING")
    assert tmux_server.exit_waiter_argv()[-2:] == ["wait-for", EXIT_CHANNEL]
    waiter = subprocess.Popen(tmux_server.exit_waiter_argv())
    try:
        time.sleep(0.2)  # a waiter with nothing to report must still be waiting
        assert waiter.poll() is None
        tmux_server.send_keys("reader", "Enter")
        assert waiter.wait(timeout=60) == 0
    finally:
        waiter.kill()
        waiter.wait()
    pane = pane_of(tmux_server, "reader")
    assert pane is not None and (pane.dead, pane.dead_status) == (True, 4)


def test_an_exit_before_the_waiter_starts_is_not_missed(tmux_server: TmuxServer, tmp_path: Path) -> None:
    start_worker(tmux_server, tmp_path, "quick", ["/bin/sh", "-c", "exit 0"])
    start_worker(tmux_server, tmp_path, "keepalive", ["sleep", "30"])
    wait_exited(tmux_server, "quick")
    assert subprocess.run(tmux_server.exit_waiter_argv(), timeout=60).returncode == 0


def test_the_exit_waiter_returns_when_the_server_goes_away(tmux_server: TmuxServer, tmp_path: Path) -> None:
    start_worker(tmux_server, tmp_path, "lonely", ["sleep", "30"])
    waiter = subprocess.Popen(tmux_server.exit_waiter_argv(), stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.1)
        tmux_server.kill_server()
        waiter.wait(timeout=60)
    finally:
        waiter.kill()
        waiter.wait()


def test_every_quick_exit_gets_its_status_without_help(tmux_server: TmuxServer, tmp_path: Path) -> None:
    """tmux (with libutempter) loses about 1 SIGCHLD in 200; the launcher's exit watch must recover each."""
    names = [f"q{i}" for i in range(40)]
    for name in names:
        start_worker(tmux_server, tmp_path, name, ["/bin/sh", "-c", "exit 5"])

    def statuses() -> list[str] | None:  # a raw query: list_panes would nudge tmux itself
        lines = tmux_raw(tmux_server, "list-panes", "-a", "-F", "#{pane_dead}:#{pane_dead_status}").stdout.split()
        return lines if lines.count("1:5") == len(names) else None

    wait_until(statuses, timeout=60, what="all 40 statuses")


def test_socket_names_from_state_directories(tmp_path: Path) -> None:
    from cockpit.runtime.tmux import socket_name_for

    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (tmp_path / "link").symlink_to(one)
    name = socket_name_for(one)
    assert name == socket_name_for(one) == socket_name_for(tmp_path / "link")
    assert name != socket_name_for(two)
    assert name.startswith("cockpit-") and len(name) == len("cockpit-") + 12
    assert TmuxServer(name).socket_name == name


def test_attach_argv_and_env(tmux_server: TmuxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/outer,123,0")
    monkeypatch.setenv("TMUX_PANE", "%7")
    assert tmux_server.attach_argv("w-1") == [
        tmux_server.tmux_bin, "-f", "/dev/null", "-L", tmux_server.socket_name, "attach-session", "-t", "=w-1",
    ]  # fmt: skip
    env = tmux_server.attach_env()
    assert "TMUX" not in env and "TMUX_PANE" not in env and env["PATH"] == os.environ["PATH"]
    with pytest.raises(TmuxNameError):
        tmux_server.attach_argv("no:colons")


def test_attaching_from_inside_tmux_shows_the_worker_and_detaching_returns(
    tmux_server: TmuxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start_worker(tmux_server, tmp_path, "attach-me", ["/bin/sh", "-c", "echo ATTACHED-SCREEN; exec sleep 30"])
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/outer,123,0")  # as if the operator ran cockpit inside tmux
    env = {**tmux_server.attach_env(), "TERM": "xterm-256color"}
    master, slave = pty.openpty()
    client = subprocess.Popen(tmux_server.attach_argv("attach-me"), stdin=slave, stdout=slave, stderr=slave,
                              env=env, start_new_session=True)  # fmt: skip
    os.close(slave)
    seen = bytearray()

    def read_screen() -> bytes:
        while select.select([master], [], [], 0)[0]:
            try:
                seen.extend(os.read(master, 65536))
            except OSError:
                break
        return bytes(seen)

    try:
        wait_until(lambda: b"ATTACHED-SCREEN" in read_screen() and b"detach: C-b d" in bytes(seen),
                   what="the worker's screen and status line in the attached terminal")  # fmt: skip
        clients = tmux_raw(tmux_server, "list-clients", "-F", "#{session_name}").stdout.split()
        assert clients == ["attach-me"]
        os.write(master, b"\x02d")  # C-b d

        def detached() -> bool:
            read_screen()  # keep draining, or the client could block writing to the terminal
            return client.poll() is not None

        wait_until(detached, what="the attach command to return after C-b d")
        assert client.returncode == 0
        # its last words may still sit in the terminal's buffer when it has exited (CI run P): read them
        wait_until(lambda: b"[detached" in read_screen(), what="tmux's [detached] line in the terminal")
        assert tmux_server.has_session("attach-me")  # detaching leaves the worker running
    finally:
        client.kill()
        client.wait()
        os.close(master)


def test_a_start_that_meets_the_server_exiting_empty_still_starts(tmux_server: TmuxServer, tmp_path: Path) -> None:
    # A server with no session exits at once (exit-empty): `ensure_server` starts one that is
    # exiting as the next command's client reaches it, as when a dispatch follows the last
    # worker's end. Each round opens that window; the start must land every time.
    for round_ in range(100):
        tmux_server.ensure_server()
        start_worker(tmux_server, tmp_path, f"burst{round_}", ["sleep", "30"])
        assert tmux_server.has_session(f"burst{round_}")
        tmux_server.kill_session(f"burst{round_}")
