"""Structured signals and answer keys with the real supervisor, tmux and the fake agent.

The fake agent has no hooks, so these tests play the CLI's hook: they append the lines
cockpit's signal-hook.sh would write to the worker's $COCKPIT_SIGNALS file (the hook
script itself is run for real in test_the_shipped_hook_script_appends_one_line).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import yaml

from cockpit.service.worker_env import signal_hook_path

SIGNALS = {
    "rules": [
        {"event": "Asked", "state": "waiting"},
        {"event": "Busy", "state": "working"},
        {"event": "Done", "state": "idle"},
    ],
    "usage": "claude_transcript",
}


def with_signals(cockpit) -> None:
    path = cockpit.repo / ".cockpit" / "providers.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump({"providers": {"fake": {"signals": SIGNALS}}}))


def hook(cockpit, dispatch_id: str, event: str, **payload) -> None:
    line = json.dumps({"source": "hook", "event": event, "payload": payload}) + "\n"
    with open(cockpit.ws.state.signal_file(dispatch_id), "a") as handle:
        handle.write(line)


def statuses(cockpit, dispatch_id: str) -> list[tuple[str, str | None]]:
    return [(r.data["to"], r.data.get("source")) for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed"]


def wait_for(check, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_send_key_y_sends_the_mapped_keys_and_says_so(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake ask Continue?\n@fake say continued", "--interactive")
    cockpit.wait(dispatch_id, until="waiting")
    out = cockpit.run("send", dispatch_id, "--key", "y", check=True)
    assert out.stdout.strip() == f"answered yes to {dispatch_id}'s ask prompt: sent keys y"
    answered = [r for r in cockpit.receipts(dispatch_id) if r.kind == "answered"]
    assert [(r.data["answer"], r.data["prompt"], r.data["keys"]) for r in answered] == [("yes", "ask", ["y"])]
    cockpit.wait(dispatch_id, until="idle")
    # every state change says what saw it
    assert all(source in ("hook", "event", "screen", "exit") for _, source in statuses(cockpit, dispatch_id))


def test_send_key_without_a_matching_prompt_sends_nothing_and_says_so(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake say hello", "--interactive")
    cockpit.wait(dispatch_id, until="idle")
    out = cockpit.run("send", dispatch_id, "--key", "n")
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "no answer mapping of provider fake matches the prompt" in lines[0]
    assert "nothing was sent" in lines[0] and "Traceback" not in out.stderr
    kinds = cockpit.receipt_kinds(dispatch_id)
    assert "answered" not in kinds and "input_sent" not in kinds


def test_hook_signals_drive_the_state_and_name_their_source(cockpit) -> None:
    with_signals(cockpit)
    dispatch_id = cockpit.dispatch("@fake say hello", "--interactive")
    cockpit.wait(dispatch_id, until="idle")
    hook(cockpit, dispatch_id, "Busy")
    wait_for(lambda: ("working", "hook") in statuses(cockpit, dispatch_id))
    hook(cockpit, dispatch_id, "Asked", tool_name="Bash", tool_input={"command": "make test"})
    waiting = wait_for(
        lambda: [r for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed" and r.data["to"] == "waiting"]
    )
    assert waiting[0].data["source"] == "hook" and waiting[0].data["event"] == "Asked"
    assert waiting[0].data["question"] == "permission to use Bash: make test"
    hook(cockpit, dispatch_id, "Done")
    wait_for(lambda: statuses(cockpit, dispatch_id)[-1] == ("idle", "hook"))
    # the screen (still the idle "> " box) does not undo what the hooks said, and a broken
    # line is skipped without losing the ones after it
    with open(cockpit.ws.state.signal_file(dispatch_id), "a") as handle:
        handle.write("not json\n")
    hook(cockpit, dispatch_id, "Busy")
    wait_for(lambda: statuses(cockpit, dispatch_id)[-1] == ("working", "hook"))


def test_transcript_usage_accumulates_once_per_message(cockpit, tmp_path: Path) -> None:
    with_signals(cockpit)
    dispatch_id = cockpit.dispatch("@fake say hello", "--interactive")
    cockpit.wait(dispatch_id, until="idle")
    transcript = tmp_path / "session.jsonl"

    def entry(message_id: str, tokens_in: int, tokens_out: int) -> str:
        return (
            json.dumps(
                {
                    "type": "assistant",
                    "message": {
                        "id": message_id,
                        "usage": {"input_tokens": tokens_in, "cache_read_input_tokens": 10, "output_tokens": tokens_out},
                    },
                }
            )
            + "\n"
        )

    def usage() -> list[tuple[int, int]]:
        return [
            (r.data["input_tokens"], r.data["output_tokens"])
            for r in cockpit.receipts(dispatch_id)
            if r.kind == "usage" and r.data.get("source") == "transcript"
        ]

    # claude writes one entry per content block of a message, each with the message's usage
    transcript.write_text(entry("m1", 100, 20) + entry("m1", 100, 20) + json.dumps({"type": "user"}) + "\n")
    hook(cockpit, dispatch_id, "Busy", transcript_path=str(transcript))
    wait_for(lambda: usage() == [(110, 20)])
    with open(transcript, "a") as handle:
        handle.write(entry("m2", 200, 5) + entry("m1", 100, 20))
    hook(cockpit, dispatch_id, "Done", transcript_path=str(transcript))
    wait_for(lambda: usage() == [(110, 20), (320, 25)])
    view = cockpit.show(dispatch_id)
    assert (view["tokens_in"], view["tokens_out"]) == (320, 25)


def test_the_shipped_hook_script_appends_one_line(tmp_path: Path) -> None:
    target = tmp_path / "signals.ndjson"
    payload = '{\n  "prompt": "multi\\nline",\n  "n": 1\n}'
    env = {**os.environ, "COCKPIT_SIGNALS": str(target)}
    for _ in range(2):
        subprocess.run(["sh", str(signal_hook_path()), "UserPromptSubmit"], input=payload, text=True, env=env, check=True)
    lines = target.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"source": "hook", "event": "UserPromptSubmit", "payload": {"prompt": "multi\nline", "n": 1}}
    ] * 2
    # outside cockpit (no $COCKPIT_SIGNALS) it does nothing and never fails the CLI's hook
    env.pop("COCKPIT_SIGNALS")
    assert subprocess.run(["sh", str(signal_hook_path()), "Stop"], input="{}", text=True, env=env).returncode == 0
