"""codex 0.169 through cockpit, offline: the real CLI, supervisor, tmux and git, the scripted Responses service."""

from __future__ import annotations

from pathlib import Path

import pytest
from codex_gemini_kit import (
    CONTENT,
    PROMPT,
    dump,
    edit_then_review,
    gate_summary,
    headless_write,
    offline,
    states,
    wait_for,
    worker_usage,
)

from cockpit.modelservice.scenario import error_reply, hang

pytestmark = [pytest.mark.conformance, pytest.mark.tmux]
CLI = "codex"


def test_headless_edit_exits_0_with_the_scenarios_tokens_then_codex_reviews_in_a_worktree_and_it_is_approved(cockpit) -> None:
    scenario = headless_write(CLI)
    with offline(cockpit, CLI, scenario, reviewer=True) as service:
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", CLI, "--headless", "--gate", "review")
        cockpit.wait(dispatch_id, timeout=120)
        view = cockpit.show(dispatch_id)
        assert (view["state"], view["exit_code"]) == ("exited", 0), dump(cockpit, dispatch_id)
        assert service.prompt_count(PROMPT) == 1  # delivered exactly once
        assert (Path(view["worktree"]) / "hello.txt").read_text() == CONTENT
        assert (view["tokens_in"], view["tokens_out"]) == worker_usage(scenario)
        kinds = cockpit.receipt_kinds(dispatch_id)
        assert kinds.count("prompt_delivered") == 1 and kinds.index("worker_started") < kinds.index("exited")
        review = wait_for(lambda: gate_summary(cockpit, dispatch_id), "the review gate's result", timeout=150)
        assert "codex approves" in review, review
        cockpit.wait(dispatch_id, until="awaiting_approval", timeout=30)
        assert service.service.turns_used() == 3  # the reviewer's request took the verdict turn
        approved = cockpit.run("approve", dispatch_id, "--strategy", "squash")
        assert approved.returncode == 0, approved.stderr
        assert (cockpit.repo / "hello.txt").read_text() == CONTENT


def test_headless_401_exits_with_codexs_error_line_in_status(cockpit) -> None:
    with offline(cockpit, CLI, error_reply(401, "Incorrect API key provided")):
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", CLI, "--headless")
        cockpit.wait(dispatch_id, timeout=120)
        view = cockpit.show(dispatch_id)
        assert view["state"] == "exited" and view["exit_code"] == 1, dump(cockpit, dispatch_id)
        assert "401 Unauthorized: Incorrect API key provided" in (view.get("error") or ""), view
        assert "Incorrect API key provided" in cockpit.run("status", check=True).stdout


def test_headless_hang_ends_in_the_timeout_receipt(cockpit) -> None:
    with offline(cockpit, CLI, hang()):
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", CLI, "--headless", "--timeout", "8")
        cockpit.wait(dispatch_id, timeout=120)
        view = cockpit.show(dispatch_id)
        assert view["state"] == "timed_out", dump(cockpit, dispatch_id)
        kinds = cockpit.receipt_kinds(dispatch_id)
        assert "timed_out" in kinds
        assert ("working", "exit") not in states(cockpit, dispatch_id)


def test_interactive_permission_answered_y_through_cockpit_send_then_idle_with_the_edit(cockpit) -> None:
    scenario = edit_then_review(CLI)
    with offline(cockpit, CLI, scenario) as service:
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", CLI, "--interactive")
        cockpit.wait(dispatch_id, until="waiting", timeout=120)
        view = cockpit.show(dispatch_id)
        waiting = [r.data for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed" and r.data.get("to") == "waiting"]
        assert waiting[-1]["screen"].startswith("Would you like to run the following command?"), dump(cockpit, dispatch_id)
        assert service.prompt_count(PROMPT) == 1
        kinds = cockpit.receipt_kinds(dispatch_id)
        assert kinds.count("prompt_delivered") == 1, dump(cockpit, dispatch_id)
        sent = cockpit.run("send", dispatch_id, "--key", "y")
        assert sent.returncode == 0, sent.stderr
        cockpit.wait(dispatch_id, until="idle", timeout=90)
        view = cockpit.show(dispatch_id)
        assert (Path(view["worktree"]) / "hello.txt").read_text() == CONTENT, dump(cockpit, dispatch_id)
        assert service.prompt_count(PROMPT) == 1 and service.service.turns_used() == 2
        wait_for(
            lambda: (cockpit.show(dispatch_id)["tokens_in"], cockpit.show(dispatch_id)["tokens_out"]) == worker_usage(scenario),
            "the session file's tokens",
            timeout=20,
        )
        seen = states(cockpit, dispatch_id)
        # working -> waiting (screen) -> working -> idle (codex's notify), no idle before the end
        assert [to for to, _ in seen].count("idle") == 1 and seen[-1] == ("idle", "hook"), seen
        assert ("waiting", "screen") in seen, seen


def test_interactive_permission_answered_n_leaves_no_edit_and_ends_the_turn(cockpit) -> None:
    with offline(cockpit, CLI, edit_then_review(CLI)) as service:
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", CLI, "--interactive")
        cockpit.wait(dispatch_id, until="waiting", timeout=120)
        sent = cockpit.run("send", dispatch_id, "--key", "n")
        assert sent.returncode == 0, sent.stderr
        cockpit.wait(dispatch_id, until="idle", timeout=90)
        view = cockpit.show(dispatch_id)
        assert not (Path(view["worktree"]) / "hello.txt").exists(), dump(cockpit, dispatch_id)
        assert service.prompt_count(PROMPT) == 1


def test_interactive_401_shows_codexs_error_line_and_ends_the_turn(cockpit) -> None:
    with offline(cockpit, CLI, error_reply(401, "Incorrect API key provided")):
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", CLI, "--interactive")
        cockpit.wait(dispatch_id, until="idle", timeout=120)
        screen = cockpit.tmux().capture(dispatch_id)
        assert "■ unexpected status 401 Unauthorized: Incorrect API key provided" in screen, dump(cockpit, dispatch_id)
