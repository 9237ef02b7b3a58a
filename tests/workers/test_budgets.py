"""Budgets: a dispatch's token and cost limits, enforced by the supervisor from usage receipts,
and a provider's daily budget, which refuses new dispatches. Real supervisor, real tmux,
the fake agent (interactive: every prompt's result line is one usage report)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from workerkit import agent_processes, wait_for

from cockpit.runtime.proctree import read_stat


def notify_to(cockpit, tmp_path: Path) -> Path:
    """Notifications go to a command that appends each one (one JSON object) to a file."""
    out = tmp_path / "notifications.ndjson"
    user = Path(os.environ["XDG_CONFIG_HOME"]) / "cockpit"
    user.mkdir(parents=True, exist_ok=True)
    (user / "config.yaml").write_text(f"notify:\n  command: 'cat >> {out}; echo >> {out}'\n  desktop: false\n")
    return out


def usage_totals(cockpit, dispatch_id: str) -> list[int]:
    return [r.data["input_tokens"] + r.data["output_tokens"] for r in cockpit.receipts(dispatch_id) if r.kind == "usage"]


def test_a_token_budget_stops_the_worker_within_one_usage_report(cockpit, tmp_path: Path) -> None:
    notes = notify_to(cockpit, tmp_path)
    dispatch_id = cockpit.dispatch("@fake usage 300 100 0.01", "--interactive", "--max-tokens", "1000", "--on-budget", "stop")
    cockpit.wait(dispatch_id, until="idle", timeout=60)
    wait_for(lambda: usage_totals(cockpit, dispatch_id) == [400], "the first usage report")
    assert "budget_exceeded" not in cockpit.receipt_kinds(dispatch_id)  # 400 of 1000: goes on
    cockpit.run("send", dispatch_id, "@fake usage 500 200 0.01", check=True)
    cockpit.wait(dispatch_id, timeout=60)
    # input_sent is recorded once the send's keys are all typed; the agent may have printed its
    # usage (read at once) by then, so it can land between budget_exceeded and killed.
    receipts = [r for r in cockpit.receipts(dispatch_id) if r.kind not in ("notification_sent", "input_sent")]
    kinds = [r.kind for r in receipts]
    assert usage_totals(cockpit, dispatch_id) == [400, 1100]  # no report after the one over the limit
    over = kinds.index("budget_exceeded")
    assert kinds[over - 1] == "usage" and kinds[over + 1] == "killed"
    exceeded = receipts[over]
    assert exceeded.actor == "supervisor"
    assert (exceeded.data["limit"], exceeded.data["allowed"], exceeded.data["spent"]) == ("tokens", 1000, 1100)
    assert exceeded.data["action"] == "stop" and receipts[over + 1].actor == "supervisor"
    view = cockpit.show(dispatch_id)
    assert (view["state"], view["budget_exceeded"], view["task"]["max_tokens"]) == ("killed", "tokens", 1000)
    sent = wait_for(lambda: notes.exists() and notes.read_text().strip(), "the notification")
    payloads = [json.loads(line) for line in sent.splitlines() if line.strip()]
    budget = [p for p in payloads if p["kind"] == "budget"]
    assert len(budget) == 1 and budget[0]["dispatch"] == dispatch_id
    assert "1100 tokens used of a 1000-token budget" in budget[0]["text"] and "stopped" in budget[0]["text"]


def test_a_cost_budget_pauses_by_default_and_a_resume_goes_on(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake usage 10 10 0.03", "--interactive", "--max-cost", "0.025")
    wait_for(lambda: cockpit.show(dispatch_id)["state"] == "paused", "the budget to pause the worker", 60)
    receipts = cockpit.receipts(dispatch_id)
    exceeded = next(r for r in receipts if r.kind == "budget_exceeded")
    assert (exceeded.data["limit"], exceeded.data["allowed"], exceeded.data["spent"]) == ("cost", 25_000, 30_000)
    assert exceeded.data["action"] == "pause" and exceeded.data["text"] == "$0.030000 spent of a $0.025000 budget"
    paused = next(r for r in receipts if r.kind == "paused")
    assert paused.actor == "supervisor" and paused.data["reason"] == "budget_exceeded"
    assert cockpit.show(dispatch_id)["task"]["max_cost_micro_usd"] == 25_000  # stored as micro-dollars
    agents = agent_processes(cockpit, dispatch_id)
    assert agents and all(read_stat(pid).state == "T" for pid in agents)
    # the operator decides: resumed, it goes on, and the budget does not stop it again
    cockpit.run("resume", dispatch_id, check=True)
    cockpit.wait(dispatch_id, until="idle", timeout=60)
    cockpit.run("send", dispatch_id, "@fake usage 10 10 0.01", check=True)
    wait_for(lambda: len(usage_totals(cockpit, dispatch_id)) == 2, "the second usage report", 60)
    time.sleep(1)
    assert cockpit.receipt_kinds(dispatch_id).count("budget_exceeded") == 1
    assert cockpit.show(dispatch_id)["state"] in ("working", "idle")
    cockpit.run("kill", dispatch_id, check=True)


def test_a_task_packet_budget_and_a_provider_daily_budget(cockpit, tmp_path: Path) -> None:
    (cockpit.repo / ".cockpit").mkdir(exist_ok=True)
    (cockpit.repo / ".cockpit" / "config.yaml").write_text("budgets:\n  daily:\n    fake:\n      max_tokens: 100\n")
    task = tmp_path / "task.yaml"
    task.write_text("prompt: '@fake usage 80 40 0.001'\nmax_tokens: 5000\nmax_cost_usd: 1.5\non_budget: stop\n")
    first = cockpit.run("dispatch", "--task", str(task), check=True).stdout.strip()
    cockpit.wait(first, until="no_changes", timeout=60)  # exited and its review settled
    view = cockpit.show(first)
    assert (view["tokens"], view["exit_code"]) == (120, 0)
    assert {k: view["task"][k] for k in ("max_tokens", "max_cost_micro_usd", "on_budget")} == {
        "max_tokens": 5000,
        "max_cost_micro_usd": 1_500_000,
        "on_budget": "stop",
    }
    before = len(cockpit.receipts())
    refused = cockpit.run("dispatch", "@fake say more")
    assert refused.returncode == 1 and refused.stdout == "" and refused.stderr.count("\n") == 1
    assert "provider fake has used its daily budget (120 tokens used of a 100-token budget today" in refused.stderr
    assert len(cockpit.receipts()) == before  # nothing written
