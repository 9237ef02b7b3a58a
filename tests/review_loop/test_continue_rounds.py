"""`cockpit continue`: a new round in the same worktree, in the CLI's own session where it can
(the fake agent keeps sessions like claude), else a fresh one told what the last round did."""

from __future__ import annotations

import json
import os
from pathlib import Path

from review_loop_kit import assert_documented, git, results, wait_for_kind_after

from cockpit.fake_agent.sessions import prompts_of


def test_continue_resumes_the_fake_agents_session_and_adds_up_usage(cockpit) -> None:
    first = "@fake write a.txt one\n@fake usage 100 10 0.01\n@fake commit first"
    dispatch_id = cockpit.dispatch(first, "--risk", "low")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    captured = [r for r in cockpit.receipts(dispatch_id) if r.kind == "session_captured"]
    assert len(captured) == 1 and captured[0].data["source"] == "output" and captured[0].data["round"] == 1
    session_id = captured[0].data["session_id"]

    second = "@fake write b.txt two\n@fake usage 50 5 0.02\n@fake say all done\n@fake commit second"
    result = cockpit.run("continue", dispatch_id, second)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"continued {dispatch_id} (round 2: a new run of the agent in the same worktree, resuming session {session_id})"
    )
    wait_for_kind_after(cockpit, dispatch_id, "continued", "review_changed", to="awaiting_approval")
    view = cockpit.show(dispatch_id)
    assert (view["tokens_in"], view["tokens_out"], view["cost_micro_usd"]) == (150, 15, 30000)  # both rounds
    worktree = Path(view["worktree"])
    assert git(worktree, "log", "--format=%s").split("\n")[:2] == ["second", "first"]
    seen = results(Path(view["log"]))
    assert [r["session_id"] for r in seen] == [session_id, session_id]  # one session, two prompts
    assert len(prompts_of(session_id)) == 2
    receipts = cockpit.receipts(dispatch_id)
    kinds = [r.kind for r in receipts]
    tail = kinds[kinds.index("continued") :]
    assert tail[:2] == ["continued", "worker_resumed"] and "gate_result" in tail and tail[-1] == "review_changed"
    continued = next(r for r in receipts if r.kind == "continued")
    assert continued.data["resumed_session"] == session_id and continued.data["round"] == 2
    assert "@" in continued.actor and continued.data["how"] == "a new run of the agent in the same worktree"
    assert [r.kind for r in receipts].count("session_captured") == 1  # the same id is receipted once
    assert_documented(receipts)


def test_continue_without_a_resumable_session_starts_fresh_with_the_last_rounds_summary(cockpit) -> None:
    catalog = cockpit.repo / ".cockpit" / "providers.yaml"
    catalog.parent.mkdir(exist_ok=True)
    catalog.write_text(
        "providers:\n  plainfake:\n    binary: cockpit-fake-agent\n    headless: {args: [-p, '-'], prompt_via: stdin}\n"
        "    usage_parser: fake\n"
    )
    dispatch_id = cockpit.dispatch("@fake write a.txt one\n@fake say wrote a.txt\n@fake commit first", "--provider", "plainfake")
    cockpit.wait(dispatch_id, until="exited")
    result = cockpit.run("continue", dispatch_id, "@fake write b.txt two\n@fake commit second", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["round"], out["resumed_session"]) == (2, None)
    wait_for_kind_after(cockpit, dispatch_id, "continued", "exited")
    continued = next(r for r in cockpit.receipts(dispatch_id) if r.kind == "continued")
    assert continued.data["fresh_session"] == "plainfake has no headless resume args"
    prompt = (cockpit.ws.state.dispatch_dir(dispatch_id) / "round-2.txt").read_text()
    assert "> @fake write a.txt one" in prompt and "It answered:\n> wrote a.txt" in prompt
    assert prompt.endswith("Now:\n@fake write b.txt two\n@fake commit second\n")
    worktree = Path(cockpit.show(dispatch_id)["worktree"])
    assert git(worktree, "log", "--format=%s").split("\n")[:2] == ["second", "first"]
    assert (worktree / "a.txt").read_text() == "one"  # the quoted old instructions were not run again


def test_continue_refusals_write_nothing(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake sleep 30", "--risk", "low")
    cockpit.wait(dispatch_id, until="working")
    before = cockpit.receipt_kinds(dispatch_id)
    running = cockpit.run("continue", dispatch_id, "more")
    assert running.returncode == 1 and running.stderr.count("\n") == 1 and "wait for it to exit" in running.stderr
    empty = cockpit.run("continue", dispatch_id, "  ")
    assert empty.returncode == 2 and "the prompt is empty" in empty.stderr and "Traceback" not in empty.stderr
    unknown = cockpit.run("continue", "zzzzzzzz", "more")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
    assert cockpit.receipt_kinds(dispatch_id) == before
    cockpit.run("kill", dispatch_id, check=True)
    assert not os.path.exists(cockpit.ws.state.dispatch_dir(dispatch_id) / "round-2.txt")


def test_continue_types_into_a_live_interactive_session_and_resumes_it_after_it_exited(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake write a.txt one\\n", "--interactive")
    cockpit.wait(dispatch_id, until="idle")
    typed = cockpit.run("continue", dispatch_id, "@fake write b.txt two\\n", "--json")
    assert typed.returncode == 0, typed.stderr
    assert json.loads(typed.stdout)["how"] == "typed into the running agent"
    worktree = Path(cockpit.show(dispatch_id)["worktree"])
    wait_for_kind_after(cockpit, dispatch_id, "continued", "gate_result")  # idle again: the gates ran
    assert (worktree / "b.txt").read_text() == "two\n"

    cockpit.run("send", dispatch_id, "--key", "C-d", check=True)  # the fake agent's Ctrl-D: exit 0
    cockpit.wait(dispatch_id, until="exited")
    captured = wait_for_kind_after(cockpit, dispatch_id, "exited", "session_captured")  # right after the exit
    session_id = next(r for r in captured if r.kind == "session_captured").data["session_id"]
    resumed = cockpit.run("continue", dispatch_id, "@fake write c.txt three\\n", "--json")
    assert resumed.returncode == 0, resumed.stderr
    out = json.loads(resumed.stdout)
    assert (out["how"], out["round"], out["resumed_session"]) == ("a new run of the agent in the same worktree", 2, session_id)
    launch = json.loads((cockpit.ws.state.dispatch_dir(dispatch_id) / "launch.json").read_text())
    assert launch["argv"][-2:] == ["--resume", session_id]
    wait_for_kind_after(cockpit, dispatch_id, "continued", "prompt_delivered")
    cockpit.wait(dispatch_id, until="idle")
    assert (worktree / "c.txt").read_text() == "three\n"
    assert len(prompts_of(session_id)) == 3  # one session over both runs of the CLI
    cockpit.run("kill", dispatch_id, check=True)
