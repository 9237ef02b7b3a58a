"""Permission requests through the real hook command, a real supervisor and the fake agent.

The hook is fed the JSON claude 2.1.197 sends its PreToolUse hooks (the documented shape:
session_id, transcript_path, cwd, permission_mode, hook_event_name, tool_name, tool_input).
NOT covered here: the real claude CLI driving the hook (see the report).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

POLICY = """\
rules:
  - id: allow-touch
    tool: Bash
    command: "touch allowed-*"
    decision: allow
  - id: deny-touch
    tool: Bash
    command: "touch forbidden-*"
    decision: deny
"""


def _payload(worktree: str, command: str) -> dict:
    return {
        "session_id": "0b6f6f7e-1111-4a4a-9c9c-000000000001",
        "transcript_path": "/tmp/t.jsonl",
        "cwd": worktree,
        "permission_mode": "acceptEdits",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command, "description": "make a file"},
    }


def _hook(cockpit, dispatch_id: str, payload: dict) -> subprocess.Popen:
    env = {
        **os.environ,
        "COCKPIT_SOCKET": str(cockpit.ws.state.socket_path),
        "COCKPIT_DISPATCH_ID": dispatch_id,
        "COCKPIT_WORKER_ID": dispatch_id,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cockpit.service.permission_hook"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    proc.stdin.write(json.dumps(payload))
    proc.stdin.close()
    return proc


def _decision(proc: subprocess.Popen) -> dict:
    out = proc.stdout.read()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0 and out, err
    return json.loads(out)["hookSpecificOutput"]


def _wait_for(predicate, limit: float = 60.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _decided(cockpit, dispatch_id: str) -> list:
    return [r for r in cockpit.receipts(dispatch_id) if r.kind == "permission_decided"]


@pytest.fixture
def worker(cockpit):
    (cockpit.repo / ".cockpit").mkdir(exist_ok=True)
    (cockpit.repo / ".cockpit" / "policy.yaml").write_text(POLICY)
    dispatch_id = cockpit.dispatch("@fake ask Proceed?")
    cockpit.wait(dispatch_id, until="waiting")
    yield dispatch_id, cockpit.show(dispatch_id)["worktree"]
    cockpit.run("kill", dispatch_id)


def test_rules_allow_and_deny_at_once_with_the_rule_id(cockpit, worker) -> None:
    dispatch_id, worktree = worker
    allowed = _decision(_hook(cockpit, dispatch_id, _payload(worktree, "touch allowed-1")))
    denied = _decision(_hook(cockpit, dispatch_id, _payload(worktree, "touch forbidden-1")))
    assert (allowed["hookEventName"], allowed["permissionDecision"]) == ("PreToolUse", "allow")
    assert denied["permissionDecision"] == "deny"
    asked = [r for r in cockpit.receipts(dispatch_id) if r.kind == "permission_requested"]
    assert [(r.data["tool"], r.data["command"]) for r in asked] == [("Bash", "touch allowed-1"), ("Bash", "touch forbidden-1")]
    decided = _decided(cockpit, dispatch_id)
    assert [(r.data["decision"], r.data["by"], r.data["rule"]) for r in decided] == [
        ("allow", "policy", "allow-touch"),
        ("deny", "policy", "deny-touch"),
    ]
    assert [r.data["request"] for r in decided] == [r.data["request"] for r in asked]


def test_unmatched_request_waits_in_the_inbox_until_the_operator_allows_it(cockpit, worker) -> None:
    dispatch_id, worktree = worker
    proc = _hook(cockpit, dispatch_id, _payload(worktree, "touch other-1"))
    rows = _wait_for(lambda: json.loads(cockpit.run("permissions", "--json", check=True).stdout))
    assert [(r["dispatch"], r["tool"], r["command"]) for r in rows] == [(dispatch_id, "Bash", "touch other-1")]
    assert proc.poll() is None  # the hook is still waiting for a decision
    request = rows[0]["request"]
    listing = cockpit.run("permissions", check=True).stdout
    assert request in listing and "touch other-1" in listing

    # From inside a worker: refused, nothing written.
    size = cockpit.ws.state.ledger_dir.joinpath("ledger.ndjson").stat().st_size
    refused = cockpit.run("permissions", "allow", request, env={"COCKPIT_WORKER_ID": dispatch_id})
    assert refused.returncode == 1 and "inside worker" in refused.stderr
    assert cockpit.ws.state.ledger_dir.joinpath("ledger.ndjson").stat().st_size == size

    done = cockpit.run("permissions", "allow", request, check=True)
    assert done.stdout.startswith(f"allow: {request}")
    assert _decision(proc)["permissionDecision"] == "allow"
    decided = _decided(cockpit, dispatch_id)[-1]
    assert (decided.data["decision"], decided.data["by"]) == ("allow", "operator")
    assert decided.data["identity"]["user"] and "@" in decided.actor

    # Bad input: an unknown id (exit 2), an already decided one (exit 1); nothing written.
    size = cockpit.ws.state.ledger_dir.joinpath("ledger.ndjson").stat().st_size
    unknown = cockpit.run("permissions", "deny", "nope123")
    assert unknown.returncode == 2 and len(unknown.stderr.strip().splitlines()) == 1
    again = cockpit.run("permissions", "deny", request)
    assert again.returncode == 1 and "already decided (allow)" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    assert cockpit.ws.state.ledger_dir.joinpath("ledger.ndjson").stat().st_size == size


def test_always_for_dispatch_answers_the_next_request_of_that_tool(cockpit, worker) -> None:
    dispatch_id, worktree = worker
    proc = _hook(cockpit, dispatch_id, _payload(worktree, "touch a"))
    rows = _wait_for(lambda: json.loads(cockpit.run("permissions", "--json", check=True).stdout))
    cockpit.run("permissions", "deny", rows[0]["request"], "--always-for-dispatch", check=True)
    assert _decision(proc)["permissionDecision"] == "deny"
    second = _decision(_hook(cockpit, dispatch_id, _payload(worktree, "touch b")))
    assert second["permissionDecision"] == "deny"
    assert _decided(cockpit, dispatch_id)[-1].data["by"] == "operator_always_for_dispatch"


def test_unanswered_request_times_out_to_deny(cockpit) -> None:
    (cockpit.repo / ".cockpit").mkdir(exist_ok=True)
    (cockpit.repo / ".cockpit" / "config.yaml").write_text("permission_timeout_s: 1\n")
    (cockpit.repo / ".cockpit" / "policy.yaml").write_text(POLICY)
    dispatch_id = cockpit.dispatch("@fake ask Proceed?")
    cockpit.wait(dispatch_id, until="waiting")
    worktree = cockpit.show(dispatch_id)["worktree"]
    assert _decision(_hook(cockpit, dispatch_id, _payload(worktree, "rm -rf x")))["permissionDecision"] == "deny"
    last = _decided(cockpit, dispatch_id)[-1]
    assert (last.data["decision"], last.data["by"]) == ("deny", "timeout")
    assert json.loads(cockpit.run("permissions", "--json", check=True).stdout) == []
    cockpit.run("kill", dispatch_id)


def test_without_a_supervisor_the_hook_leaves_the_decision_to_the_cli(tmp_path: Path) -> None:
    env = {**os.environ, "COCKPIT_SOCKET": str(tmp_path / "none.sock"), "COCKPIT_DISPATCH_ID": "x"}
    result = subprocess.run(
        [sys.executable, "-m", "cockpit.service.permission_hook"],
        env=env,
        text=True,
        input=json.dumps(_payload(str(tmp_path), "touch allowed-1")),
        capture_output=True,
    )
    assert result.returncode == 0 and result.stdout == ""  # no answer: claude asks on its own screen


def test_without_a_policy_file_claude_asks_as_before(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake ask Proceed?")
    cockpit.wait(dispatch_id, until="waiting")
    worktree = cockpit.show(dispatch_id)["worktree"]
    proc = _hook(cockpit, dispatch_id, _payload(worktree, "touch allowed-1"))
    out, err = proc.stdout.read(), proc.stderr.read()
    assert proc.wait(timeout=120) == 0 and out == "", err
    assert "permission_requested" not in cockpit.receipt_kinds(dispatch_id)
    cockpit.run("kill", dispatch_id)


def test_a_worker_that_ends_closes_its_pending_requests(cockpit, worker) -> None:
    dispatch_id, worktree = worker
    proc = _hook(cockpit, dispatch_id, _payload(worktree, "touch other-2"))
    rows = _wait_for(lambda: json.loads(cockpit.run("permissions", "--json", check=True).stdout))
    cockpit.run("kill", dispatch_id, check=True)
    assert _decision(proc)["permissionDecision"] == "deny"
    last = _wait_for(lambda: [r for r in _decided(cockpit, dispatch_id) if r.data["request"] == rows[0]["request"]])
    assert last[0].data["by"] == "worker_ended"
    assert json.loads(cockpit.run("permissions", "--json", check=True).stdout) == []
