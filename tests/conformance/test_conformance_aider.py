"""aider 0.86.2 against the scripted model service, through the real supervisor and tmux.
(The conformance runner's rows for aider: test_conformance_chat_clis_verify.py.)

aider speaks OpenAI Chat Completions without tools: the scripted edit reaches it as a
"whole file" listing in the text, which aider applies itself. One model request per
prompt (the catalog turns off aider's commit-message request), so each scenario has the
turns aider will ask for and the tokens must equal theirs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from chat_cli_harness import gates_and_approve, offline, screen_of, usage_receipts, wait_for

from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage, error_reply, hang

pytestmark = [pytest.mark.conformance, pytest.mark.tmux]

PROMPT = "Create hello.txt saying hi (conformance)"
CONTENT = "hi from the model service\n"


def edit_scenario() -> Scenario:
    return Scenario(
        name="aider_edit",
        turns=[
            Turn(
                kind="write_file",
                path="hello.txt",
                content=CONTENT,
                text="I will create hello.txt.",
                usage=TurnUsage(input_tokens=321, output_tokens=54),
            )
        ],
    )


def test_headless_edit_exits_0_with_the_scenario_tokens_and_is_approved(cockpit, tmp_path: Path) -> None:
    with offline(cockpit, "aider", edit_scenario(), tmp_path / "home") as service:
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", "aider", "--headless", "--accept", "test -f hello.txt")
        cockpit.wait(dispatch_id, timeout=180)
        view = cockpit.show(dispatch_id)
        assert (view["state"], view["exit_code"]) == ("exited", 0), view
        assert service.prompt_count(PROMPT) == 1
        assert [r.turn for r in service.requests] == [0]
    kinds = cockpit.receipt_kinds(dispatch_id)
    # headless: the prompt is on stdin at start, and prompt_delivered is what makes it "working"
    assert kinds.index("worker_started") < kinds.index("prompt_delivered") < kinds.index("exited")
    assert (Path(view["worktree"]) / "hello.txt").read_text() == CONTENT
    # aider prints the server's counts (--no-stream) and its cost: 321 * $3/M + 54 * $15/M = $0.001773 -> "$0.0018"
    assert (view["tokens_in"], view["tokens_out"], view["cost_usd"]) == (321, 54, "0.001800")
    gates_and_approve(cockpit, dispatch_id, "hello.txt", CONTENT)


def test_headless_auth_failure_exits_0_but_its_error_line_is_in_status(cockpit, tmp_path: Path) -> None:
    with offline(cockpit, "aider", error_reply(401, "Incorrect API key provided"), tmp_path / "home") as service:
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", "aider", "--headless")
        cockpit.wait(dispatch_id, timeout=180)
        assert service.prompt_count(PROMPT) == 1
    view = cockpit.show(dispatch_id)
    assert (view["state"], view["exit_code"]) == ("exited", 0)  # aider's own exit code on auth failure
    # the CLI's own error line (the test asserts its start: under load tmux may hand the
    # log's last bytes over after the exit was judged)
    assert (view["error"] or "").startswith("litellm.AuthenticationError"), view
    status = cockpit.run("status").stdout
    assert "litellm.AuthenticationError" in status


def test_headless_without_a_model_refuses_the_openrouter_browser_login_at_once(cockpit, tmp_path: Path) -> None:
    with offline(cockpit, "aider", edit_scenario(), tmp_path / "home") as service:
        override = cockpit.repo / ".cockpit" / "providers.yaml"
        text = override.read_text()
        for name in ("AIDER_MODEL", "OPENAI_API_KEY"):  # no model, no key: aider's onboarding offers a login
            text = "\n".join(line for line in text.splitlines() if name not in line) + "\n"
        override.write_text(text)
        started = time.monotonic()
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", "aider", "--headless")
        cockpit.wait(dispatch_id, timeout=120)
        took = time.monotonic() - started
        assert service.requests == []
    view = cockpit.show(dispatch_id)
    assert view["state"] == "killed" and "OpenRouter" in (view["error"] or ""), view
    assert took < 60  # not aider's 5-minute wait for a browser
    killed = [r for r in cockpit.receipts(dispatch_id) if r.kind == "killed"]
    assert killed[-1].actor == "supervisor" and killed[-1].data["reason"] == "refused"


def test_interactive_permission_answered_with_send_key_y_then_idle(cockpit, tmp_path: Path) -> None:
    with offline(cockpit, "aider", edit_scenario(), tmp_path / "home") as service:
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", "aider", "--interactive")
        wait_for(lambda: cockpit.show(dispatch_id)["state"] == "waiting", "aider's 'Create new file?' question")
        view = cockpit.show(dispatch_id)
        assert "Create new file?" in screen_of(cockpit, dispatch_id)
        assert service.prompt_count(PROMPT) == 1
        assert not (Path(view["worktree"]) / "hello.txt").exists()  # nothing before the answer
        answered = cockpit.run("send", dispatch_id, "--key", "y")
        assert answered.returncode == 0, answered.stderr + answered.stdout
        cockpit.wait(dispatch_id, until="idle", timeout=120)
        assert (Path(view["worktree"]) / "hello.txt").read_text() == CONTENT
        assert [r.turn for r in service.requests] == [0]
    # prompt_delivered (confirmed by the echo on screen) is what makes it working; then the
    # question (waiting, with the question), then the prompt after the edit (idle).
    flow = [(r.kind, r.data.get("to")) for r in cockpit.receipts(dispatch_id) if r.kind in ("prompt_delivered", "status_changed")]
    assert (
        flow[0] == ("prompt_delivered", None) and ("status_changed", "waiting") in flow and flow[-1] == ("status_changed", "idle")
    ), flow
    waiting = next(r for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed" and r.data["to"] == "waiting")
    assert "Create new file?" in json.dumps(waiting.data), waiting.data
    sent = [r for r in cockpit.receipts(dispatch_id) if r.kind == "input_sent" or r.kind == "answered"]
    assert sent and json.dumps(sent[-1].data).count("Enter") >= 1, [r.data for r in sent]
    view = cockpit.show(dispatch_id)
    assert (view["tokens_in"], view["tokens_out"]) == (321, 54)
    assert usage_receipts(cockpit, dispatch_id)
    cockpit.run("kill", dispatch_id, check=True)


def test_headless_hang_times_out_with_a_receipt(cockpit, tmp_path: Path) -> None:
    with offline(cockpit, "aider", hang(), tmp_path / "home") as service:
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", "aider", "--headless", "--timeout", "20")
        cockpit.wait(dispatch_id, timeout=120)
        assert service.prompt_count(PROMPT) == 1
    view = cockpit.show(dispatch_id)
    assert view["state"] == "timed_out", view
    assert any(r.kind == "timed_out" and r.data.get("after_s") == 20 for r in cockpit.receipts(dispatch_id))
