"""The fake agent as an interactive TUI in a real tmux pane on a private server."""

from __future__ import annotations

import hashlib
import os
import shlex
import signal
import time
from pathlib import Path

import pytest
from fake_agent_helpers import AGENT, AgentPane, StartPane

pytestmark = pytest.mark.tmux

AGENT_LINE = shlex.join(AGENT)


def hostile_prompt(size: int) -> bytes:
    head = (
        "Refactor this, \"carefully\"; don't touch 'quotes' or $HOME, ${PATH}, `id`, $(rm -rf ~) or \\n.\r\n"
        "\t  @fake say pasted ok ✓ ünïcödé 日本語 🚀\n"
        "@fake usage 1200 340 0.0456\n"
        "@fake write out/pasted.txt a 'b' \"c\" $d\\ne\n"
        "tab\there, an escape \x1b[31m and a bell \x07 in the text\r"
        "carriage return above, \u2028 a line separator here\n"
    ).encode()
    filler = b"".join(b"filler %06d: the quick brown fox jumps over the lazy dog\n" % n for n in range(size // 58))
    return head + filler + b"@fake say end of paste"


def start_agent(start_pane: StartPane) -> AgentPane:
    pane = start_pane(AGENT_LINE)
    pane.wait_for_idle_prompt()
    assert "cockpit fake agent ready" in pane.screen()
    return pane


def test_a_pasted_hostile_100kb_prompt_arrives_byte_for_byte(start_pane: StartPane) -> None:
    pane = start_agent(start_pane)
    prompt = hostile_prompt(100_000)
    assert len(prompt) > 100_000
    pane.paste(prompt)
    pane.wait_for_output(b"end of paste")  # the echo: the whole paste arrived before Enter
    pane.keys("Enter")
    pane.wait_for_output(b'"type":"result"')
    [result] = pane.results()
    assert result["prompt_sha256"] == hashlib.sha256(prompt).hexdigest()
    assert result["usage"] == {"input_tokens": 1200, "output_tokens": 340}
    assert result["total_cost_usd"] == pytest.approx(0.0456)
    assert result["result"] == "end of paste"
    assert (pane.workdir / "out/pasted.txt").read_text() == "a 'b' \"c\" $d\ne"
    assert b"\npasted ok \xe2\x9c\x93" in pane.output().replace(b"\r", b"")
    pane.wait_for_idle_prompt()  # back at "> ", alive
    assert pane.exit_status() is None


def test_typed_prompts_run_one_after_another_until_exit(start_pane: StartPane) -> None:
    pane = start_agent(start_pane)
    pane.type("@fake sleep 0.4 and some typo")
    pane.keys(*["BSpace"] * len(" and some typo"), "Enter")
    pane.type("@fake say helx")  # typed while the first prompt sleeps: kept for the next line
    pane.keys("BSpace")
    pane.type("lo")
    pane.keys("Enter")
    first_end = pane.wait_for_output(b'"result":"hello"')
    pane.wait_for_idle_prompt()
    pane.type("@fake usage 1 1 0.01")
    pane.keys("Enter")
    pane.wait_for_output(b'"type":"result"', after=first_end)
    pane.wait_for_idle_prompt()
    pane.type("@fake exit 5")
    pane.keys("Enter")
    assert pane.wait_for_exit() == 5
    slept, first, second, third = pane.results()
    assert slept["prompt_sha256"] == hashlib.sha256(b"@fake sleep 0.4").hexdigest()
    assert slept["duration_ms"] >= 400
    assert first["prompt_sha256"] == hashlib.sha256(b"@fake say hello").hexdigest()
    assert first["result"] == "hello"
    assert second["usage"] == {"input_tokens": 1, "output_tokens": 1}  # usage is per prompt
    assert (third["exit_code"], third["is_error"]) == (5, True)
    assert len({slept["session_id"], first["session_id"], second["session_id"], third["session_id"]}) == 1


def paste_and_wait_for_question(pane: AgentPane) -> None:
    pane.paste(b"@fake say before\n@fake ask Apply the change?\n@fake write answered.txt yes\n@fake say after")
    pane.keys("Enter")
    pane.wait_for_output(b"Apply the change? [y/n]")
    time.sleep(0.3)  # proving a negative: it really waits for the key
    assert b"after" not in pane.output().split(b"[y/n]")[-1]
    assert pane.results() == []
    assert not (pane.workdir / "answered.txt").exists()


def test_ask_waits_for_y_and_ignores_other_keys(start_pane: StartPane) -> None:
    pane = start_agent(start_pane)
    paste_and_wait_for_question(pane)
    pane.type("x")
    time.sleep(0.2)
    assert pane.results() == []
    pane.keys("y")
    pane.wait_for_output(b'"type":"result"')
    assert pane.results()[0]["is_error"] is False
    assert (pane.workdir / "answered.txt").read_text() == "yes"
    pane.wait_for_idle_prompt()
    assert pane.exit_status() is None


def test_answering_n_exits_3_with_an_error_result(start_pane: StartPane) -> None:
    pane = start_agent(start_pane)
    paste_and_wait_for_question(pane)
    pane.keys("n")
    assert pane.wait_for_exit() == 3
    [result] = pane.results()
    assert (result["subtype"], result["is_error"], result["result"]) == (
        "error_during_execution",
        True,
        "declined: Apply the change?",
    )
    assert not (pane.workdir / "answered.txt").exists()


def test_headless_ask_reads_the_key_from_the_terminal_while_stdin_is_a_file(start_pane: StartPane, tmp_path: Path) -> None:
    prompt_file = tmp_path / "prompt.txt"
    prompt_file.write_bytes(b"@fake ask Ship it?\n@fake say shipped")
    pane = start_pane(f"{AGENT_LINE} -p - < {shlex.quote(str(prompt_file))}")
    pane.wait_for_output(b"Ship it? [y/n]")
    pane.keys("y")
    assert pane.wait_for_exit() == 0
    assert b"shipped" in pane.output()
    assert pane.results()[0]["prompt_sha256"] == hashlib.sha256(prompt_file.read_bytes()).hexdigest()


@pytest.mark.parametrize(("key", "code"), [("C-c", 130), ("C-d", 0)])
def test_ctrl_c_and_ctrl_d_end_it_and_the_terminal_is_restored(
    start_pane: StartPane, tmp_path: Path, key: str, code: int
) -> None:
    modes = tmp_path / "stty.txt"
    pane = start_pane(AGENT_LINE, afterwards=f"stty -a > {shlex.quote(str(modes))}")
    pane.wait_for_idle_prompt()
    pane.keys(key)
    assert pane.wait_for_exit() == code
    assert {"icanon", "echo", "isig", "icrnl", "ixon", "iexten"} <= set(modes.read_text().split())
    assert pane.output().endswith(b"\x1b[?2004l")  # bracketed paste switched off again


def test_sigterm_during_hang_ends_it_by_that_signal_and_restores_the_terminal(start_pane: StartPane, tmp_path: Path) -> None:
    modes = tmp_path / "stty.txt"
    pane = start_pane(AGENT_LINE, afterwards=f"stty -a > {shlex.quote(str(modes))}")
    pane.wait_for_idle_prompt()
    pane.paste(b"@fake say hanging now\n@fake hang\n@fake say never")
    pane.keys("Enter")
    pane.wait_for_output(b"\nhanging now")  # the run's output, not the echo ("say hanging now")
    shell_pid = pane.tmux("list-panes", "-t", pane.session, "-F", "#{pane_pid}").strip()
    children = Path(f"/proc/{shell_pid}/task/{shell_pid}/children").read_text().split()
    assert len(children) == 1  # the wrapping shell's one child: the fake agent
    time.sleep(0.3)  # proving a negative: the hang holds
    assert pane.exit_status() is None
    os.kill(int(children[0]), signal.SIGTERM)
    assert pane.wait_for_exit() == 128 + signal.SIGTERM  # the shell's view of "killed by SIGTERM"
    assert "icanon" in modes.read_text().split()
    assert pane.results() == []  # the hung prompt never reported


def test_ctrl_c_while_a_prompt_hangs_exits_130(start_pane: StartPane) -> None:
    pane = start_agent(start_pane)
    pane.paste(b"@fake say hanging now\n@fake hang")
    pane.keys("Enter")
    pane.wait_for_output(b"\nhanging now")
    pane.keys("C-c")  # raw mode: no SIGINT from the tty, the agent sees the 0x03 byte itself
    assert pane.wait_for_exit() == 130
    assert pane.results() == []
