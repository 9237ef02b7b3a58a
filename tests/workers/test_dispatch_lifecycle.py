"""Dispatch to exit, with real git, real tmux (private socket), the real supervisor and the fake agent."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from workerkit import git

HOSTILE = (
    "line one with 'single' and \"double\" quotes\n"
    "$HOME $(echo no) `echo no` ${PATH} \\ backslash \\n not a newline\n"
    "\x1b[31mred escape\x1b[0m and a bell \x07 and tab\there\n"
    "unicode: Grüße, 日本語, emoji 🙂, right-to-left \u202e text\n"
    "@fake say still obeyed\n"
    + "filler " * 15000  # about 100 KB in all
    + "\nlast line without newline"
)


def result_line(cockpit, dispatch_id: str) -> dict:
    text = cockpit.ws.state.log(dispatch_id).read_text(errors="replace")
    lines = [line for line in text.splitlines() if line.startswith('{"type":"result"')]
    assert lines, f"no result line in the log of {dispatch_id}: {text[-500:]!r}"
    return json.loads(lines[-1])


def test_dispatch_runs_to_exit_with_a_receipt_for_every_step(cockpit) -> None:
    prompt = "@fake say hello\n@fake write notes/a.txt first\\nsecond\n@fake commit add notes\n@fake usage 120 30 0.0125"
    dispatch_id = cockpit.dispatch(prompt)
    cockpit.wait(dispatch_id)
    view = cockpit.show(dispatch_id)
    assert (view["state"], view["exit_code"]) == ("exited", 0)
    assert (view["tokens_in"], view["tokens_out"], view["cost_usd"]) == (120, 30, "0.012500")
    kinds = cockpit.receipt_kinds(dispatch_id)
    for expected in ("dispatch_created", "worktree_created", "worker_started", "prompt_delivered", "usage", "exited"):
        assert expected in kinds
    assert (
        kinds.index("dispatch_created")
        < kinds.index("worktree_created")
        < kinds.index("worker_started")
        < kinds.index("prompt_delivered")
        < kinds.index("exited")
    )
    created = cockpit.receipts(dispatch_id)[0]
    assert created.data["prompt_sha256"] == hashlib.sha256(prompt.encode()).hexdigest()
    worktree = Path(view["worktree"])
    assert (worktree / "notes" / "a.txt").read_text() == "first\nsecond"
    assert not str(worktree).startswith(str(cockpit.repo))
    assert git(worktree, "log", "-1", "--format=%s").strip() == "add notes"
    assert git(cockpit.repo, "status", "--porcelain") == ""  # nothing cockpit wrote shows up
    assert view["branch"] == f"cockpit/{dispatch_id}"
    assert result_line(cockpit, dispatch_id)["prompt_sha256"] == hashlib.sha256(prompt.encode()).hexdigest()
    assert cockpit.run("receipts", "verify").returncode == 0


def test_json_dispatch_and_status(cockpit) -> None:
    out = cockpit.run("dispatch", "@fake say hi", "--json", check=True).stdout
    view = json.loads(out)
    assert {"id", "branch", "worktree", "provider", "state"} <= set(view)
    cockpit.wait(view["id"])
    rows = json.loads(cockpit.run("status", "--json", check=True).stdout)
    row = next(r for r in rows if r["id"] == view["id"])
    assert row["state"] == "exited" and {"elapsed_s", "tokens", "cost_usd"} <= set(row)


def test_twenty_concurrent_dispatches_each_get_their_own_prompt(cockpit, monkeypatch) -> None:
    monkeypatch.setenv("COCKPIT_MAX_WORKERS", "20")
    prompts = {}
    from concurrent.futures import ThreadPoolExecutor

    def one(i: int) -> tuple[str, str]:
        prompt = f"task number {i}: {'x' * i}\n@fake say worker {i}\n@fake sleep 0.{i % 5}"
        return cockpit.dispatch(prompt), prompt

    with ThreadPoolExecutor(8) as pool:
        for dispatch_id, prompt in pool.map(one, range(20)):
            prompts[dispatch_id] = prompt
    assert len(prompts) == 20
    for dispatch_id, prompt in prompts.items():
        cockpit.wait(dispatch_id, timeout=60)
        line = result_line(cockpit, dispatch_id)
        assert line["prompt_sha256"] == hashlib.sha256(prompt.encode()).hexdigest(), dispatch_id


def test_hostile_prompt_is_delivered_byte_exact_headless(cockpit) -> None:
    dispatch_id = cockpit.run("dispatch", "-", input=HOSTILE, check=True).stdout.strip()
    cockpit.wait(dispatch_id)
    assert result_line(cockpit, dispatch_id)["prompt_sha256"] == hashlib.sha256(HOSTILE.encode()).hexdigest()
    assert "still obeyed" in cockpit.ws.state.log(dispatch_id).read_text(errors="replace")


def test_hostile_prompt_is_delivered_byte_exact_interactive(cockpit) -> None:
    prompt = HOSTILE.replace("\x1b", "")  # an ESC would end a bracketed paste early in any real TUI
    dispatch_id = cockpit.run("dispatch", "-", "--interactive", input=prompt, check=True).stdout.strip()
    cockpit.wait(dispatch_id, until="idle", timeout=60)
    assert result_line(cockpit, dispatch_id)["prompt_sha256"] == hashlib.sha256(prompt.encode()).hexdigest()
    kinds = cockpit.receipt_kinds(dispatch_id)
    assert "prompt_delivered" in kinds
    cockpit.run("kill", dispatch_id, check=True)


def test_waiting_is_detected_and_a_key_lets_it_go_on(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake ask Apply the migration?\n@fake say migrated")
    cockpit.wait(dispatch_id, until="waiting")
    waiting = [r for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed" and r.data["to"] == "waiting"]
    assert "Apply the migration? [y/n]" in waiting[-1].data["screen"]
    assert cockpit.run("send", dispatch_id, "--key", "y").returncode == 0
    cockpit.wait(dispatch_id)
    view = cockpit.show(dispatch_id)
    assert (view["state"], view["exit_code"]) == ("exited", 0)
    assert "migrated" in cockpit.ws.state.log(dispatch_id).read_text()


def test_answering_no_exits_3(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake ask Delete everything?")
    cockpit.wait(dispatch_id, until="waiting")
    cockpit.run("send", dispatch_id, "--key", "n", check=True)
    cockpit.wait(dispatch_id)
    assert cockpit.show(dispatch_id)["exit_code"] == 3


def test_interactive_worker_goes_idle_and_takes_more_text(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake say first turn", "--interactive")
    cockpit.wait(dispatch_id, until="idle")
    # What the agent prints ("line 3 of 3") is not in what was typed, whose echo the log holds too.
    cockpit.run("send", dispatch_id, "@fake lines 3 100", check=True)
    import time

    deadline = time.monotonic() + 60
    while "line 3 of 3" not in cockpit.ws.state.log(dispatch_id).read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "line 3 of 3" in cockpit.ws.state.log(dispatch_id).read_text()
    cockpit.run("kill", dispatch_id, check=True)
    assert cockpit.show(dispatch_id)["state"] == "killed"


def test_timeout_stops_the_worker_and_keeps_the_worktree(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write progress.txt half done\n@fake hang", "--timeout", "1.5")
    cockpit.wait(dispatch_id)
    view = cockpit.show(dispatch_id)
    assert view["state"] == "timed_out"
    assert "timed_out" in cockpit.receipt_kinds(dispatch_id)
    assert (Path(view["worktree"]) / "progress.txt").read_text() == "half done"
    assert not cockpit.tmux().has_session(dispatch_id)


def test_kill(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake hang")
    cockpit.wait(dispatch_id, until="working")
    assert cockpit.run("kill", dispatch_id).returncode == 0
    assert cockpit.show(dispatch_id)["state"] == "killed"
    assert cockpit.receipt_kinds(dispatch_id)[-1] == "killed"
    assert Path(cockpit.show(dispatch_id)["worktree"]).is_dir()
    assert "was not running" in cockpit.run("kill", dispatch_id).stdout


def test_logs_prints_the_whole_output(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake lines 300")
    cockpit.wait(dispatch_id)
    out = cockpit.run("logs", dispatch_id, check=True).stdout
    assert "line 1 of 300" in out and "line 300 of 300" in out
    follow = cockpit.run("logs", dispatch_id, "--follow", check=True, timeout=20).stdout
    assert "line 300 of 300" in follow


def test_dispatch_environment_marks_the_worker(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake say x", "--provider", "shell") if False else None
    shell_id = cockpit.run(
        "dispatch", 'printf "%s" "$COCKPIT_WORKER_ID" > who.txt', "--provider", "shell", check=True
    ).stdout.strip()
    cockpit.wait(shell_id)
    assert (Path(cockpit.show(shell_id)["worktree"]) / "who.txt").read_text() == shell_id
    assert dispatch_id is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["dispatch", "x", "--provider", "nope"], "unknown provider"),
        (["dispatch", "x", "--base", "no-such-ref"], "unknown ref"),
        (["dispatch", ""], "empty"),
        (["dispatch", "x", "--timeout", "-1"], "above 0"),
        (["send", "zzzzzzzzzz", "--key", "y"], "no dispatch"),
        (["kill", "zzzz"], "no dispatch"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(cockpit, args, message) -> None:
    cockpit.run("note", "baseline", check=True)
    before = (cockpit.ws.state.ledger_dir / "ledger.ndjson").read_bytes()
    worktrees = sorted(os.listdir(cockpit.ws.state.worktrees))
    result = cockpit.run(*args)
    assert result.returncode == 2, result
    assert message in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert (cockpit.ws.state.ledger_dir / "ledger.ndjson").read_bytes() == before
    assert sorted(os.listdir(cockpit.ws.state.worktrees)) == worktrees
    assert git(cockpit.repo, "branch", "--list", "cockpit/*") == ""
