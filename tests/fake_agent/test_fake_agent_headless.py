"""The fake agent run headless (-p TEXT, -p -) as a real subprocess in a temporary cwd."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import time
from pathlib import Path

import pytest
from fake_agent_helpers import AGENT, RunAgent, last_result

from cockpit import __version__


def test_say_prints_lines_then_one_claude_shaped_result_line(run_agent: RunAgent) -> None:
    prompt = "Fix the bug.\n@fake say working on it\n  @fake say all done\n"
    done = run_agent("-p", prompt, "--output-format", "stream-json", "--verbose")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[:2] == ["working on it", "all done"]
    assert len(lines) == 3
    result = last_result(done.stdout)
    assert result["subtype"] == "success"
    assert result["is_error"] is False
    assert result["result"] == "all done"
    assert result["num_turns"] == 1
    assert isinstance(result["duration_ms"], int) and result["duration_ms"] >= 0
    assert isinstance(result["session_id"], str) and len(result["session_id"]) == 36
    assert result["usage"] == {"input_tokens": 0, "output_tokens": 0}
    assert result["total_cost_usd"] == 0.0
    assert result["prompt_sha256"] == hashlib.sha256(prompt.encode()).hexdigest()
    assert done.stderr == b""


def test_a_prompt_without_directives_writes_a_file_and_reports_it(run_agent: RunAgent) -> None:
    done = run_agent("-p", "just prose")  # a plain prompt (docs/fake-agent.md); not a git repository here
    assert done.returncode == 0
    assert done.stdout.count(b"\n") == 6  # a line per step, then the result line
    assert last_result(done.stdout)["result"] == "done: wrote just-prose.txt"


def test_directives_that_print_nothing_print_only_the_result(run_agent: RunAgent) -> None:
    done = run_agent("-p", "just prose\n@fake usage 1 2 0")
    assert done.returncode == 0
    assert done.stdout.count(b"\n") == 1
    assert last_result(done.stdout)["result"] == "done"


def test_lines_are_numbered_and_paced_by_rate(run_agent: RunAgent) -> None:
    fast = run_agent("-p", "@fake lines 3")
    assert fast.stdout.decode().splitlines()[:3] == ["line 1 of 3", "line 2 of 3", "line 3 of 3"]
    started = time.monotonic()
    paced = run_agent("-p", "@fake lines 4 12.5")
    elapsed = time.monotonic() - started
    assert paced.stdout.decode().splitlines()[:4] == [f"line {n} of 4" for n in range(1, 5)]
    assert elapsed >= 3 / 12.5  # three gaps of 80 ms between four lines


def test_write_append_delete_work_relative_to_the_cwd(run_agent: RunAgent, workdir: Path) -> None:
    (workdir / "old.txt").write_text("bye")
    prompt = "\n".join(
        [
            "@fake write notes/a.txt first\\nsecond",
            "@fake append notes/a.txt \\nthird ünï",
            "@fake write empty.txt ",
            "@fake append fresh.txt made by append",
            "@fake delete old.txt",
        ]
    )
    done = run_agent("-p", prompt)
    assert done.returncode == 0, done.stderr
    assert (workdir / "notes/a.txt").read_bytes() == "first\nsecond\nthird ünï".encode()
    assert (workdir / "empty.txt").read_bytes() == b""
    assert (workdir / "fresh.txt").read_text() == "made by append"
    assert not (workdir / "old.txt").exists()


@pytest.mark.parametrize(
    "bad_line",
    [
        "@fake write /tmp/escape.txt x",
        "@fake write ../escape.txt x",
        "@fake frobnicate",
        "@fake lines many",
        "@fake exit 300",
    ],
)
def test_a_bad_line_anywhere_exits_2_before_anything_runs(run_agent: RunAgent, workdir: Path, bad_line: str) -> None:
    prompt = f"@fake write first.txt x\n@fake say started\nprose\n{bad_line}\n@fake say later"
    done = run_agent("-p", prompt)
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.decode().startswith("fake-agent: line 4: ")
    assert done.stderr.count(b"\n") == 1
    assert list(workdir.iterdir()) == []
    assert not (workdir.parent / "escape.txt").exists()


def test_a_symlink_cannot_lead_a_write_outside_the_cwd(run_agent: RunAgent, workdir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (workdir / "link").symlink_to(outside)
    done = run_agent("-p", "@fake write link/x.txt escaped")
    assert done.returncode == 1
    assert "outside the working directory" in done.stderr.decode()
    assert not (outside / "x.txt").exists()
    assert last_result(done.stdout)["is_error"] is True


def test_deleting_a_missing_file_fails_with_a_result_line(run_agent: RunAgent) -> None:
    done = run_agent("-p", "@fake say before\n@fake delete ghost.txt\n@fake say after")
    assert done.returncode == 1
    assert b"after" not in done.stdout
    assert "line 2: cannot delete 'ghost.txt': no such file" in done.stderr.decode()
    result = last_result(done.stdout)
    assert (result["is_error"], result["subtype"]) == (True, "error_during_execution")


def test_usage_is_summed_over_directives(run_agent: RunAgent) -> None:
    done = run_agent("-p", "@fake usage 100 20 0.0123\n@fake say mid\n@fake usage 5 7 0.0002")
    result = last_result(done.stdout)
    assert result["usage"] == {"input_tokens": 105, "output_tokens": 27}
    assert result["total_cost_usd"] == pytest.approx(0.0125)
    assert isinstance(result["usage"]["input_tokens"], int)


@pytest.mark.parametrize(("code", "subtype"), [(0, "success"), (7, "error_during_execution")])
def test_exit_stops_and_exits_with_its_code(run_agent: RunAgent, workdir: Path, code: int, subtype: str) -> None:
    done = run_agent("-p", f"@fake usage 1 2 0.5\n@fake exit {code}\n@fake write never.txt x")
    assert done.returncode == code
    assert not (workdir / "never.txt").exists()
    result = last_result(done.stdout)
    assert (result["subtype"], result["is_error"], result["exit_code"]) == (subtype, code != 0, code)
    assert result["usage"] == {"input_tokens": 1, "output_tokens": 2}


def test_stdin_prompt_hash_covers_the_exact_bytes_of_a_hostile_100kb_prompt(run_agent: RunAgent) -> None:
    hostile = (
        "Quotes \"double\" 'single' $HOME ${PATH} `id` $(echo no) \\ \\n %s %% \x00 \t tab\r\n"
        "unicode: ünïcödé 日本語 🚀 \u2028 line-separator\n"
        "@fake say hostile ok 🚀\n"
        "@fake usage 3 4 0.001\n"
    ).encode() + b"\xff\xfe invalid utf-8\n"
    filler = b"".join(b"filler %06d lorem ipsum dolor sit amet\n" % n for n in range(2600))
    prompt = hostile + filler + b"no trailing newline"
    assert len(prompt) > 100_000
    done = run_agent("-p", "-", stdin=prompt)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines()[0] == "hostile ok 🚀"
    result = last_result(done.stdout)
    assert result["prompt_sha256"] == hashlib.sha256(prompt).hexdigest()
    assert result["usage"] == {"input_tokens": 3, "output_tokens": 4}


def test_argument_prompt_hash_is_over_its_utf8_bytes(run_agent: RunAgent) -> None:
    prompt = "ünï $x `y`\n@fake say ok"
    done = run_agent("-p", prompt)
    assert last_result(done.stdout)["prompt_sha256"] == hashlib.sha256(prompt.encode("utf-8")).hexdigest()


def test_sleep_waits(run_agent: RunAgent) -> None:
    started = time.monotonic()
    done = run_agent("-p", "@fake sleep 0.3\n@fake say woke")
    assert time.monotonic() - started >= 0.3
    assert done.stdout.startswith(b"woke\n")


@pytest.mark.timeout(20)
def test_hang_waits_until_a_signal_ends_it(workdir: Path) -> None:
    agent = subprocess.Popen(
        [*AGENT, "-p", "@fake say hanging\n@fake hang\n@fake say never"],
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert agent.stdout is not None
        assert agent.stdout.readline() == b"hanging\n"
        time.sleep(0.3)  # proving a negative: it is still there after a while
        assert agent.poll() is None
        agent.send_signal(signal.SIGTERM)
        stdout, stderr = agent.communicate(timeout=60)
    finally:
        agent.kill()
    assert agent.returncode == -signal.SIGTERM
    assert stdout == b""
    assert stderr == b""  # no traceback


def test_ask_without_any_terminal_exits_4(run_agent: RunAgent) -> None:
    done = run_agent("-p", "@fake ask Proceed?\n@fake say never", detach_terminal=True)
    assert done.returncode == 4
    assert done.stdout.startswith(b"Proceed? [y/n] \n")
    assert b"never" not in done.stdout
    assert "no terminal to read the answer from" in done.stderr.decode()
    assert last_result(done.stdout)["is_error"] is True


def test_without_prompt_or_terminal_it_says_how_to_give_a_prompt(run_agent: RunAgent) -> None:
    done = run_agent()
    assert done.returncode == 2
    assert done.stderr.decode() == (
        "fake-agent: no prompt: pass -p TEXT, or -p - to read it from stdin, or run it in a terminal\n"
    )


def test_version_help_and_bad_flags(run_agent: RunAgent) -> None:
    assert run_agent("--version").stdout.decode() == f"cockpit-fake-agent {__version__}\n"
    help_text = run_agent("--help").stdout.decode()
    assert "-p TEXT" in help_text and "--output-format" in help_text
    bad = run_agent("--output-format", "xml", "-p", "x")
    assert bad.returncode == 2
    assert b"Traceback" not in bad.stderr
