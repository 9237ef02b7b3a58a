"""What `cockpit status` says about a worker must be true: a silent worker is not just
"working", a failed CLI's reason is in `error`, a headless run does not hold a slot forever.

Real supervisor, real tmux (private socket), the bundled fake agent."""

from __future__ import annotations

import json
import os
import signal
import time

from workerkit import agent_processes


def configure(cockpit, text: str) -> None:
    (cockpit.repo / ".cockpit").mkdir(exist_ok=True)
    (cockpit.repo / ".cockpit" / "config.yaml").write_text(text)


def wait_for(condition, what: str, limit: float = 30.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def status_json(cockpit) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(cockpit.run("status", "--json", check=True).stdout)}


def last_quiet_mark(cockpit, dispatch_id: str) -> tuple[str | None, int]:
    """The worker's latest `quiet`/`quiet_ended` receipt kind, and how many `quiet` it has."""
    kinds = [k for k in cockpit.receipt_kinds(dispatch_id) if k in ("quiet", "quiet_ended")]
    return (kinds[-1] if kinds else None), kinds.count("quiet")


def quiet_in_both_status_views(cockpit, dispatch_id: str) -> dict | None:
    """Its `status --json` row when that shows it silent for 1 s or more and so does `status`."""
    row = status_json(cockpit)[dispatch_id]
    if not (row["quiet_s"] and row["quiet_s"] >= 1):
        return None
    lines = cockpit.run("status", check=True).stdout.splitlines()
    line = next(ln for ln in lines if ln.startswith(dispatch_id))
    return row if "working, no output for " in line else None


def test_a_silent_worker_shows_no_output_for_n_s_and_recovers(cockpit) -> None:
    configure(cockpit, "supervisor:\n  quiet_after_s: 1\n")
    # It prints a line every 0.1 s until stopped: the test, not a sleep in the prompt, says how
    # long it is silent (SIGSTOP, as a CLI stuck in a syscall would be), so every look at
    # `status` below sees a worker that is truly silent however slow the machine is.
    dispatch_id = cockpit.dispatch("@fake say start\n@fake lines 100000 10")
    log = cockpit.ws.state.log(dispatch_id)
    wait_for(lambda: log.exists() and b"line 2 of" in log.read_bytes(), "its first lines", limit=60)
    agents = agent_processes(cockpit, dispatch_id)
    assert agents, "the agent runs under the launcher"
    for pid in agents:
        os.kill(pid, signal.SIGSTOP)
    wait_for(lambda: last_quiet_mark(cockpit, dispatch_id)[0] == "quiet", "a quiet receipt", limit=60)
    quiet = [r for r in cockpit.receipts(dispatch_id) if r.kind == "quiet"][-1]
    assert quiet.data["after_s"] == 1
    # Both views of status, looked at one after the other, while it is stopped (a quiet mark
    # from a scheduling stall just before the stop may still end first: then look again).
    row = wait_for(lambda: quiet_in_both_status_views(cockpit, dispatch_id), "status to show quiet_s", limit=60)
    assert row["state"] == "working"
    assert row["state_detail"] == f"no output for {row['quiet_s']} s"

    # it prints again: the mark goes, and comes back once it is silent again
    quiets = last_quiet_mark(cockpit, dispatch_id)[1]
    for pid in agents:
        os.kill(pid, signal.SIGCONT)
    wait_for(lambda: last_quiet_mark(cockpit, dispatch_id)[0] == "quiet_ended", "a quiet_ended receipt", limit=60)
    kinds = cockpit.receipt_kinds(dispatch_id)
    assert kinds.index("quiet") < kinds.index("quiet_ended")
    for pid in agents:
        os.kill(pid, signal.SIGSTOP)
    wait_for(
        lambda: (mark := last_quiet_mark(cockpit, dispatch_id))[0] == "quiet" and mark[1] > quiets,
        "a second quiet receipt",
        limit=60,
    )
    for pid in agents:
        os.kill(pid, signal.SIGCONT)
    cockpit.run("kill", dispatch_id, check=True)
    view = cockpit.show(dispatch_id)
    assert view["quiet_s"] is None and view["state_detail"] is None and view["quiet_since_ts"] is None


def test_quiet_threshold_zero_turns_it_off(cockpit) -> None:
    configure(cockpit, "supervisor:\n  quiet_after_s: 0\n")
    dispatch_id = cockpit.dispatch("@fake say start\n@fake sleep 3\n@fake exit 0")
    cockpit.wait(dispatch_id)
    assert "quiet" not in cockpit.receipt_kinds(dispatch_id)


def test_the_clis_last_error_line_lands_in_error(cockpit) -> None:
    secret = "sk-ant-" + "a1B2c3D4e5F6g7H8i9J0k1L2"
    prompt = (
        "@fake say Starting up\n"
        f"@fake say Error: 401 Unauthorized: invalid x-api-key {secret}\n"
        "@fake say Shutting down\n"
        "@fake exit 3"
    )
    dispatch_id = cockpit.dispatch(prompt)
    cockpit.wait(dispatch_id)
    view = status_json(cockpit)[dispatch_id]
    assert view["exit_code"] == 3
    assert view["error"] == "Error: 401 Unauthorized: invalid x-api-key ***"
    exited = [r for r in cockpit.receipts(dispatch_id) if r.kind == "exited"][-1]
    assert exited.data["error"] == view["error"]
    out = cockpit.run("status", check=True).stdout
    assert "error: Error: 401 Unauthorized: invalid x-api-key ***" in out
    assert secret not in out


def test_a_clean_exit_has_no_error(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake say error handling was improved\n@fake exit 0")
    cockpit.wait(dispatch_id)
    assert cockpit.show(dispatch_id)["error"] is None


def test_headless_runs_get_the_default_timeout(cockpit) -> None:
    configure(cockpit, "supervisor:\n  headless_timeout_s: 2\n")
    dispatch_id = cockpit.dispatch("@fake say Reconnecting... 5/5\n@fake hang")
    view = cockpit.show(dispatch_id)
    assert view["timeout_s"] == 2
    created = cockpit.receipts(dispatch_id)[0]
    assert created.data["timeout_source"] == "default"
    cockpit.wait(dispatch_id, until="timed_out", timeout=60)
    timed_out = [r for r in cockpit.receipts(dispatch_id) if r.kind == "timed_out"][-1]
    assert timed_out.data["error"] == "Reconnecting... 5/5"
    assert cockpit.show(dispatch_id)["error"] == "Reconnecting... 5/5"


def test_catalog_timeout_wins_over_the_default_and_timeout_flag_over_both(cockpit) -> None:
    configure(cockpit, "supervisor:\n  headless_timeout_s: 999\n")
    (cockpit.repo / ".cockpit" / "providers.yaml").write_text("providers:\n  fake:\n    headless:\n      timeout_s: 77\n")
    first = cockpit.dispatch("@fake exit 0")
    second = cockpit.dispatch("@fake exit 0", "--timeout", "5")
    assert cockpit.show(first)["timeout_s"] == 77
    assert cockpit.receipts(first)[0].data["timeout_source"] == "catalog"
    assert cockpit.show(second)["timeout_s"] == 5
    interactive = cockpit.dispatch("@fake exit 0", "--interactive")
    assert cockpit.show(interactive)["timeout_s"] is None  # an operator watches those
    for dispatch_id in (first, second, interactive):
        cockpit.wait(dispatch_id)


def test_a_boxed_waiting_screen_gives_the_question_not_a_border(cockpit, tmp_path) -> None:
    from pathlib import Path

    captured = Path(__file__).parents[1] / "providers" / "screens" / "gemini" / "first-screen.txt"
    # The question is drawn last, in its place (as a TUI redraws a line): a capture taken while
    # tmux is still reading the box cannot match the waiting pattern with the options not yet
    # on screen (under load one did, and its excerpt ended before "3. Don't trust").
    lines = captured.read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if "Do you trust" in line)
    frame = tmp_path / "frame.txt"
    frame.write_text(
        "\n".join(
            line if i != row else line.replace("Do you trust the files in this folder?", " " * 38) for i, line in enumerate(lines)
        )
        + "\n"
    )
    question = tmp_path / "question.txt"
    question.write_text(f"\x1b[{row + 1};1H{lines[row]}")
    agent = tmp_path / "boxed-agent"
    agent.write_text(f"#!/bin/sh\nprintf '\\033[H\\033[2J'\ncat '{frame}'\ncat '{question}'\nexec sleep 600\n")
    agent.chmod(0o755)
    (cockpit.repo / ".cockpit").mkdir(exist_ok=True)
    (cockpit.repo / ".cockpit" / "providers.yaml").write_text(
        "providers:\n  boxed:\n"
        f"    binary: {agent}\n    version_args: []\n    default_mode: interactive\n"
        "    interactive: {args: []}\n"
        "    patterns:\n      waiting: ['Do you trust the files in this folder\\?']\n"
    )
    dispatch_id = cockpit.dispatch("hello", "--provider", "boxed")
    cockpit.wait(dispatch_id, until="waiting")
    changed = [r for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed"][-1]
    assert changed.data["screen"].splitlines()[0] == "Do you trust the files in this folder?"
    assert "3. Don't trust" in changed.data["screen"]
    assert "│" not in changed.data["screen"]
    cockpit.run("kill", dispatch_id, check=True)
