"""opencode 1.18.33 against the scripted model service, through the real supervisor and tmux.
(The conformance runner's rows for opencode: test_conformance_chat_clis_verify.py.)

opencode speaks OpenAI Chat Completions with tools: the scripted edit is a `write` tool
call, the scripted command a `bash` call. The offline profile makes `bash` ask permission
(edits are allowed, opencode's default), and cockpit's plugin forwards opencode's own
events (session busy/idle, permission asked/replied, the submitted prompt) as signals.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chat_cli_harness import gates_and_approve, offline, screen_of, states, wait_for

from cockpit.modelservice.scenario import edit_with_permission, error_reply, hang, shell_with_permission
from cockpit.runtime.providers import load_catalog

pytestmark = [pytest.mark.conformance, pytest.mark.tmux]

PROMPT = "Create hello.txt saying hi (conformance)"
CONTENT = "hi from the model service\n"


def test_headless_edit_exits_0_with_the_scenario_tokens_and_is_approved(cockpit, tmp_path: Path) -> None:
    scenario = edit_with_permission("hello.txt", CONTENT)
    with offline(cockpit, "opencode", scenario, tmp_path / "home") as service:
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", "opencode", "--headless", "--accept", "test -f hello.txt")
        cockpit.wait(dispatch_id, timeout=240)
        view = cockpit.show(dispatch_id)
        assert (view["state"], view["exit_code"]) == ("exited", 0), view
        assert service.prompt_count(PROMPT) == 1
        assert [r.turn for r in service.service.main_requests()] == [0, 1]  # the tool call, then the closing text
    kinds = cockpit.receipt_kinds(dispatch_id)
    assert kinds.index("worker_started") < kinds.index("prompt_delivered") < kinds.index("exited")
    assert (Path(view["worktree"]) / "hello.txt").read_text() == CONTENT
    total = scenario.total_usage()
    assert (view["tokens_in"], view["tokens_out"]) == (total.input_tokens, total.output_tokens) == (276, 57)
    gates_and_approve(cockpit, dispatch_id, "hello.txt", CONTENT)


def test_headless_auth_failure_exits_1_with_its_error_line_in_status(cockpit, tmp_path: Path) -> None:
    with offline(cockpit, "opencode", error_reply(401, "Incorrect API key provided"), tmp_path / "home") as service:
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", "opencode", "--headless")
        cockpit.wait(dispatch_id, timeout=240)
        assert service.prompt_count(PROMPT) == 1
    view = cockpit.show(dispatch_id)
    assert (view["state"], view["exit_code"]) == ("exited", 1), view
    assert view["error"] == "Incorrect API key provided", view
    assert "Incorrect API key provided" in cockpit.run("status").stdout


def test_headless_hang_times_out_with_a_receipt(cockpit, tmp_path: Path) -> None:
    with offline(cockpit, "opencode", hang(), tmp_path / "home") as service:
        # opencode takes 10-30 s to start on a loaded machine: the limit leaves room for that
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", "opencode", "--headless", "--timeout", "90")
        wait_for(lambda: service.prompt_count(PROMPT) == 1, "the prompt at the (hanging) model service", timeout=85)
        cockpit.wait(dispatch_id, timeout=180)
        assert service.prompt_count(PROMPT) == 1
    assert cockpit.show(dispatch_id)["state"] == "timed_out"
    assert any(r.kind == "timed_out" and r.data.get("after_s") == 90 for r in cockpit.receipts(dispatch_id))


# Which source records `waiting`, forced by the repository's catalog override: opencode's
# permission.asked event and its dialog on screen race, so each is tested alone.
WAITING_FROM = {
    "event": {"patterns": {"waiting": []}},
    "screen": {
        "signals": {
            "rules": [
                {"event": "prompt.submitted", "state": "working"},
                {"event": "session.busy", "state": "working"},
                {"event": "permission.replied", "state": "working"},
                {"event": "session.idle", "state": "idle"},
            ]
        }
    },
}


@pytest.mark.parametrize("source", sorted(WAITING_FROM))
def test_interactive_permission_is_waiting_from_its_source_answered_with_send_key_y(cockpit, tmp_path: Path, source: str) -> None:
    scenario = shell_with_permission("echo hi > shell.txt")
    with offline(cockpit, "opencode", scenario, tmp_path / "home", catalog=WAITING_FROM[source]) as service:
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", "opencode", "--interactive")
        wait_for(lambda: cockpit.show(dispatch_id)["state"] == "waiting", "opencode's permission prompt", timeout=180)
        view = cockpit.show(dispatch_id)
        # the event comes before opencode draws the prompt; the keys must wait for the drawing
        wait_for(lambda: "Permission required" in screen_of(cockpit, dispatch_id), "the prompt on screen")
        assert service.prompt_count(PROMPT) == 1
        assert not (Path(view["worktree"]) / "shell.txt").exists()
        answered = cockpit.run("send", dispatch_id, "--key", "y")
        assert answered.returncode == 0, answered.stderr + answered.stdout
        wait_for(lambda: cockpit.show(dispatch_id)["state"] == "idle", "idle after the turn", timeout=120)
        assert (Path(view["worktree"]) / "shell.txt").read_text() == "hi\n"
        assert [r.turn for r in service.service.main_requests()] == [0, 1]
    delivered = [r for r in cockpit.receipts(dispatch_id) if r.kind == "prompt_delivered"]
    # opencode confirms delivery by its event; text in its input box proves nothing
    assert len(delivered) == 1 and delivered[0].data.get("confirmed_by") == "event", delivered
    by_source = states(cockpit, dispatch_id)
    signals = [json.loads(line) for line in cockpit.ws.state.signal_file(dispatch_id).read_text().splitlines() if line]
    assert [s["event"] for s in signals].count("permission.asked") == 1, [s["event"] for s in signals]
    # One prompt, one `waiting`, from its source: the answered dialog still drawn after
    # permission.replied is not a second prompt. A start slower than opencode's ready_timeout_s
    # (a loaded machine) is a `waiting` too, but with its reason and no question: not a prompt.
    waits = [r.data for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed" and r.data["to"] == "waiting"]
    prompt_waits = [w for w in waits if "reason" not in w]
    assert [w["source"] for w in prompt_waits] == [source], by_source
    assert by_source[-1] == ("idle", "event"), by_source
    assert "Permission required" in json.dumps(prompt_waits[0]), prompt_waits[0]
    cockpit.run("kill", dispatch_id, check=True)


def test_interactive_turn_that_ends_in_an_api_error_is_idle_not_working(cockpit, tmp_path: Path) -> None:
    with offline(cockpit, "opencode", error_reply(401, "Incorrect API key provided"), tmp_path / "home") as service:
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", "opencode", "--interactive")
        wait_for(lambda: service.prompt_count(PROMPT) == 1, "the prompt at the model service", timeout=180)
        wait_for(lambda: cockpit.show(dispatch_id)["state"] == "idle", "idle after the API error", timeout=120)
        # The screen fallback alone comes to idle too (it used to match nothing: "working"
        # forever); opencode keeps "esc interrupt" in its footer for a while after the error.
        patterns = load_catalog(None).get("opencode").patterns
        screen = wait_for(
            lambda: (
                (text := screen_of(cockpit, dispatch_id))
                and "Incorrect API key provided" in text
                and patterns.classify(text) == "idle"
                and text
            ),
            "the API error on an idle screen",
        )
        assert cockpit.show(dispatch_id)["state"] == "idle", screen
    cockpit.run("kill", dispatch_id, check=True)
