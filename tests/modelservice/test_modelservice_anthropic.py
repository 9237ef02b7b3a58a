"""The scripted model service over real HTTP: turns, the request log, Anthropic's wire shapes."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cockpit.errors import UsageError
from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage, edit_with_permission, load_scenario
from cockpit.modelservice.server import ModelServiceThread

TOOLS = [{"name": "Write", "input_schema": {"type": "object"}}]


def post(url: str, body: dict, timeout: float = 10) -> tuple[int, str]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def main_body(prompt: str, stream: bool = True) -> dict:
    return {
        "model": "m",
        "stream": stream,
        "tools": TOOLS,
        "system": [{"type": "text", "text": "Primary working directory: /work/x"}],
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "<system-reminder>ctx</system-reminder>"}, {"type": "text", "text": prompt}],
            }
        ],
    }


def sse_events(text: str) -> list[dict]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


def test_streaming_tool_call_then_text_with_exact_usage_and_request_log() -> None:
    with ModelServiceThread(edit_with_permission("hello.txt", "hi\n")) as svc:
        status, text = post(svc.url + "/v1/messages?beta=true", main_body("make hello"))
        assert status == 200
        events = sse_events(text)
        kinds = [e["type"] for e in events]
        assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
        starts = [e["content_block"] for e in events if e["type"] == "content_block_start"]
        assert [b["type"] for b in starts] == ["text", "tool_use"] and starts[1]["name"] == "Write"
        partial = [
            e["delta"]["partial_json"]
            for e in events
            if e["type"] == "content_block_delta" and e["delta"]["type"] == "input_json_delta"
        ]
        assert json.loads(partial[0]) == {"file_path": "/work/x/hello.txt", "content": "hi\n"}
        delta = next(e for e in events if e["type"] == "message_delta")
        assert delta["delta"]["stop_reason"] == "tool_use" and delta["usage"]["output_tokens"] == 45
        assert events[0]["message"]["usage"]["input_tokens"] == 123
        # an auxiliary request (no tools) consumes no turn
        status, aux = post(svc.url + "/v1/messages", {"model": "m", "messages": [{"role": "user", "content": "make hello"}]})
        assert status == 200 and json.loads(aux)["usage"]["output_tokens"] == 0
        status, text = post(
            svc.url + "/v1/messages",
            main_body("make hello", stream=False)
            | {"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "ok"}]}]},
        )
        reply = json.loads(text)
        assert reply["content"] == [{"type": "text", "text": "Done: wrote hello.txt."}]
        assert reply["usage"]["input_tokens"] == 153 and reply["stop_reason"] == "end_turn"
        assert [r.turn for r in svc.requests] == [0, None, 1]
        assert svc.prompt_count("make hello") == 1  # the auxiliary request and the tool result do not count
        assert svc.requests[0].user_text == "make hello"


def test_a_prompt_sent_twice_counts_twice_and_exhausted_requests_are_logged() -> None:
    scenario = Scenario(turns=[Turn(kind="text", text="one")])
    with ModelServiceThread(scenario) as svc:
        post(svc.url + "/v1/messages", main_body("same", stream=False))
        status, text = post(svc.url + "/v1/messages", main_body("same", stream=False))
        assert status == 200 and "no more turns" in text
        assert svc.prompt_count("same") == 2
        assert svc.requests[1].exhausted and svc.requests[1].turn is None


@pytest.mark.parametrize(
    ("status", "kind"), [(401, "authentication_error"), (429, "rate_limit_error"), (500, "api_error"), (529, "overloaded_error")]
)
def test_error_turns_use_anthropics_error_shape_and_repeat(status: int, kind: str) -> None:
    scenario = Scenario(turns=[Turn(kind="error", status=status, message="scripted failure", repeat=0)])
    with ModelServiceThread(scenario) as svc:
        for _ in range(2):  # repeat=0: every retry gets the same error
            got, text = post(svc.url + "/v1/messages", main_body("p"))
            assert got == status
            assert json.loads(text) == {"type": "error", "error": {"type": kind, "message": "scripted failure"}}


def test_count_tokens_and_unknown_routes() -> None:
    with ModelServiceThread(Scenario()) as svc:
        status, text = post(svc.url + "/v1/messages/count_tokens", {"messages": [{"role": "user", "content": "hello"}]})
        assert status == 200 and json.loads(text)["input_tokens"] > 0
        status, _ = post(svc.url + "/nowhere", {})
        assert status == 404
        assert all(r.turn is None for r in svc.requests)


def test_a_hang_turn_holds_the_response_until_stop() -> None:
    svc = ModelServiceThread(Scenario(turns=[Turn(kind="hang")])).start()
    outcome: dict[str, object] = {}

    def call() -> None:
        try:
            outcome["status"] = post(svc.url + "/v1/messages", main_body("p"), timeout=60)[0]
        except OSError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=call)
    worker.start()
    worker.join(timeout=1.5)
    assert worker.is_alive(), "the hang turn answered"
    assert svc.requests and svc.requests[0].turn == 0
    svc.stop()
    worker.join(timeout=30)
    assert not worker.is_alive() and outcome


def test_scenarios_load_from_yaml_and_json_and_bad_files_say_where(tmp_path: Path) -> None:
    good = tmp_path / "s.yaml"
    good.write_text("name: s\nturns:\n  - kind: text\n    text: hi\n    usage: {input_tokens: 7, output_tokens: 3}\n")
    scenario = load_scenario(good)
    assert scenario.turns[0].usage == TurnUsage(input_tokens=7, output_tokens=3)
    as_json = tmp_path / "s.json"
    as_json.write_text(scenario.model_dump_json())
    assert load_scenario(as_json) == scenario
    bad = tmp_path / "bad.yaml"
    bad.write_text("turns:\n  - kind: write_file\n")
    with pytest.raises(UsageError, match=r"bad.yaml: turns.0: .*needs a path"):
        load_scenario(bad)
    with pytest.raises(UsageError, match="cannot read scenario"):
        load_scenario(tmp_path / "missing.yaml")
