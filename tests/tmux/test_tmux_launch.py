"""Starting workers: every byte logged, exit status kept, argv/stdin/prompt delivered exactly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from cockpit.runtime.tmux import TmuxServer, default_terminal

from .helpers import pane_of, start_worker, wait_exited, wait_log, wait_until

pytestmark = pytest.mark.tmux

SH = "/bin/sh"


def test_first_byte_is_in_the_log(tmux_server: TmuxServer, tmp_path: Path) -> None:
    worker = start_worker(tmux_server, tmp_path, "first", [SH, "-c", "printf 'FIRST\\n'"])
    wait_exited(tmux_server, "first")
    # Exactly this: nothing printed before the log was attached is missing, and nothing else is in it.
    wait_until(lambda: worker.log() == b"FIRST\r\n", what="the log to hold exactly FIRST")


def test_an_immediate_burst_is_logged_in_full(tmux_server: TmuxServer, tmp_path: Path) -> None:
    worker = start_worker(tmux_server, tmp_path, "burst", ["seq", "1", "30000"])
    wait_exited(tmux_server, "burst", timeout=120)
    expected = "".join(f"{i}\r\n" for i in range(1, 30001)).encode()
    wait_until(lambda: worker.log() == expected, timeout=120, what="all 30000 lines in the log")  # generous: a loaded machine


def test_exit_status_is_kept_after_the_process_ends(tmux_server: TmuxServer, tmp_path: Path) -> None:
    start_worker(tmux_server, tmp_path, "seven", [SH, "-c", "exit 7"])
    pane = wait_exited(tmux_server, "seven")
    assert (pane.dead, pane.dead_status, pane.dead_signal) == (True, 7, None)
    assert tmux_server.has_session("seven")  # remain-on-exit keeps the pane to read


def test_a_worker_killed_by_a_signal_reports_the_signal(tmux_server: TmuxServer, tmp_path: Path) -> None:
    start_worker(tmux_server, tmp_path, "killed", [SH, "-c", "kill -9 $$"])
    pane = wait_exited(tmux_server, "killed")
    assert (pane.dead, pane.dead_status, pane.dead_signal) == (True, None, 9)


def test_the_agent_is_the_pane_process_only_child(tmux_server: TmuxServer, tmp_path: Path) -> None:
    """The launcher stays as the pane's process (so tmux never sees the agent stop, see
    cockpit pause) and the agent is its one child: the pane ends as the agent ends."""
    worker = start_worker(tmux_server, tmp_path, "pid", [SH, "-c", "echo PID=$$ PPID=$PPID; exec sleep 30"])
    log = wait_log(worker, b"\r\n")
    agent_pid = int(log.split(b"PID=")[1].split(b" ")[0])
    parent = int(log.split(b"PPID=")[1].split(b"\r")[0])
    assert tmux_server.pane_pid("pid") == parent != agent_pid
    assert Path(f"/proc/{agent_pid}/comm").read_text().strip() == "sleep"
    assert Path(f"/proc/{parent}/task/{parent}/children").read_text().split() == [str(agent_pid)]
    pane = pane_of(tmux_server, "pid")
    assert pane is not None and pane.pid == parent and not pane.dead
    assert tmux_server.pane_pid("no-such-worker") is None


def test_a_missing_binary_exits_127_with_a_message_in_the_log(tmux_server: TmuxServer, tmp_path: Path) -> None:
    worker = start_worker(tmux_server, tmp_path, "missing", ["cockpit-no-such-binary-xyz", "--flag"])
    pane = wait_exited(tmux_server, "missing")
    assert pane.dead_status == 127
    wait_log(worker, b"cockpit: cannot start cockpit-no-such-binary-xyz: No such file or directory")


def test_prompt_arg_index_puts_the_exact_bytes_in_argv(tmux_server: TmuxServer, tmp_path: Path) -> None:
    prompt = (
        b"quotes ' \" `backticks` $HOME ${PATH} $(id) ; && | > < * ? ~ \\ \\n #{pane_id} #(id)\n"
        b"\t\r\x1b[31mred\x1b[0m \x1b]0;title\x07 \x03\x04\x1a\x7f invalid utf-8 \xff\xfe caf\xc3\xa9 \xe2\x9c\x93\n"
        b"-leading-dash ends with semicolon;"
    )
    prompt = (prompt * (100_000 // len(prompt) + 1))[:100_000]
    prompt_path = tmp_path / "prompt.bin"
    prompt_path.write_bytes(prompt)
    out = tmp_path / "argv.bin"
    script = f"open({str(out)!r}, 'wb').write(open('/proc/self/cmdline', 'rb').read().split(b'\\0')[3])"
    start_worker(
        tmux_server, tmp_path, "argv", [sys.executable, "-c", script, "PLACEHOLDER"],
        prompt_path=prompt_path, prompt_arg_index=3,
    )  # fmt: skip
    assert wait_exited(tmux_server, "argv").dead_status == 0
    assert out.read_bytes() == prompt


def test_a_prompt_too_long_for_one_argument_fails_clearly(tmux_server: TmuxServer, tmp_path: Path) -> None:
    prompt_path = tmp_path / "huge.txt"
    prompt_path.write_bytes(b"x" * 200_000)  # Linux caps one argument at 128 KiB
    worker = start_worker(
        tmux_server, tmp_path, "huge", [SH, "-c", "true", "PROMPT"], prompt_path=prompt_path, prompt_arg_index=3
    )
    assert wait_exited(tmux_server, "huge").dead_status == 127
    wait_log(worker, b"cockpit: cannot start /bin/sh: Argument list too long")


def test_a_missing_prompt_file_exits_127_with_a_message(tmux_server: TmuxServer, tmp_path: Path) -> None:
    worker = start_worker(
        tmux_server, tmp_path, "noprompt", [SH, "-c", "true", "PROMPT"],
        prompt_path=tmp_path / "gone.txt", prompt_arg_index=3,
    )  # fmt: skip
    assert wait_exited(tmux_server, "noprompt").dead_status == 127
    wait_log(worker, b"cockpit: cannot start /bin/sh: cannot read prompt " + os.fsencode(tmp_path / "gone.txt"))


def test_stdin_path_becomes_the_agents_stdin(tmux_server: TmuxServer, tmp_path: Path) -> None:
    stdin_path = tmp_path / "input.bin"
    stdin_path.write_bytes(b"line one\nline $two `three`\n\x00\xff end")
    out = tmp_path / "stdin-copy.bin"
    script = (
        "import os, sys; data = sys.stdin.buffer.read(); "
        f"open({str(out)!r}, 'wb').write(data); print('TTY', os.isatty(0), os.isatty(1))"
    )
    worker = start_worker(tmux_server, tmp_path, "stdin", [sys.executable, "-c", script], stdin_path=stdin_path)
    assert wait_exited(tmux_server, "stdin").dead_status == 0
    assert out.read_bytes() == stdin_path.read_bytes()
    wait_log(worker, b"TTY False True")  # stdin is the file, stdout still the pane


def test_the_agent_gets_the_spec_env_cwd_term_and_default_signals(tmux_server: TmuxServer, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = {"PATH": os.environ["PATH"], "COCKPIT_TEST_VAR": "a b $c", "TERM": "dumb"}
    script = 'printf "%s|%s|%s|%s|" "$COCKPIT_TEST_VAR" "$TERM" "$PWD" "${HOME-unset}"; grep SigIgn /proc/$$/status'
    worker = start_worker(tmux_server, tmp_path, "env", [SH, "-c", script], cwd=workdir, env=env)
    wait_exited(tmux_server, "env")
    expected = f"a b $c|{default_terminal()}|{workdir}|unset|SigIgn:\t0000000000000000\r\n".encode()
    wait_until(lambda: worker.log() == expected, what=f"{expected!r} in the log")


def test_a_cockpit_package_in_the_worktree_does_not_replace_the_launcher(tmux_server: TmuxServer, tmp_path: Path) -> None:
    workdir = tmp_path / "repo"
    (workdir / "cockpit" / "runtime").mkdir(parents=True)
    (workdir / "cockpit" / "__init__.py").write_text("raise SystemExit(99)\n")
    (workdir / "cockpit" / "runtime" / "__init__.py").write_text("")
    worker = start_worker(tmux_server, tmp_path, "shadow", [SH, "-c", "printf OK"], cwd=workdir)
    assert wait_exited(tmux_server, "shadow").dead_status == 0
    wait_log(worker, b"OK")


HOSTILE = "odd $HOME `id` #(touch PWNED) #{pane_id} '\" ;"


def test_hostile_paths_are_data_for_tmux_and_no_shell(
    tmux_server: TmuxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tmux runs #(...) in the client's cwd; run from tmp_path so a failure cannot touch anything else.
    monkeypatch.chdir(tmp_path)
    workdir = tmp_path / f"work {HOSTILE}"
    workdir.mkdir()
    worker = start_worker(
        tmux_server, tmp_path, "hostile", [SH, "-c", 'printf "%s" "$PWD"'], cwd=workdir,
        directory_name=f"state {HOSTILE}", spec_name=f"spec {HOSTILE}", log_name=f"log {HOSTILE}",
    )  # fmt: skip
    assert wait_exited(tmux_server, "hostile").dead_status == 0
    wait_until(lambda: worker.log() == os.fsencode(workdir), what="the hostile cwd in the hostile log")
    assert sorted(p.name for p in tmp_path.rglob("PWNED")) == []
