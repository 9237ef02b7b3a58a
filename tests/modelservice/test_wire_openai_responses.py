"""The Responses wire over real HTTP: codex's main turns vs its title request, SSE shapes, usage."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage, edit_with_permission, error_reply
from cockpit.modelservice.server import ModelServiceThread

TOOLS = [{"type": "function", "name": "exec_command"}, {"type": "function", "name": "apply_patch"}]
EXEC_POLICY = "<permissions instructions>\nApproval policy is currently never. Do not provide the `sandbox_permissions`"


def post(url: str, body: dict, headers: dict | None = None) -> tuple[int, str]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def body(prompt: str, *, developer: str = "You are Codex.", extra: list | None = None) -> dict:
    return {
        "model": "gpt-5.5",
        "stream": True,
        "tools": TOOLS,
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": developer}]},
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "<environment_context>x</environment_context>"}],
            },
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": prompt}]},
            *(extra or []),
        ],
    }


def events(text: str) -> list[dict]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


TURN = {"x-codex-turn-metadata": json.dumps({"turn_trigger": "user", "request_kind": "turn"})}
TITLE = {"x-codex-turn-metadata": json.dumps({"request_kind": "turn"})}


def test_interactive_write_asks_for_escalation_and_follow_up_is_not_a_new_delivery() -> None:
    with ModelServiceThread(edit_with_permission("hello.txt", "hi 'there'\n")) as svc:
        status, text = post(svc.url + "/v1/responses", body("make hello"), TURN)
        assert status == 200
        evs = events(text)
        assert [e["type"] for e in evs][0] == "response.created" and evs[-1]["type"] == "response.completed"
        done = [e["item"] for e in evs if e["type"] == "response.output_item.done"]
        assert done[0]["content"][0]["text"] == "I will create hello.txt."
        call = done[1]
        assert call["type"] == "function_call" and call["name"] == "exec_command"
        args = json.loads(call["arguments"])
        assert args["cmd"] == "printf '%s' 'hi '\"'\"'there'\"'\"'\n' > hello.txt"
        assert args["sandbox_permissions"] == "require_escalated" and "hello.txt" in args["justification"]
        assert evs[-1]["response"]["usage"]["input_tokens"] == 123
        assert evs[-1]["response"]["usage"]["output_tokens"] == 45
        # the title request: same prompt, no turn trigger -> auxiliary, zero usage
        status, aux = post(svc.url + "/v1/responses", body("Generate a concise, single-line task title"), TITLE)
        assert status == 200 and events(aux)[-1]["response"]["usage"]["output_tokens"] == 0
        follow = body(
            "make hello",
            extra=[
                {"type": "function_call", "call_id": "c", "name": "exec_command", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "c", "output": "ok"},
            ],
        )
        status, text = post(svc.url + "/v1/responses", follow, TURN)
        assert events(text)[-1]["response"]["output"][0]["content"][0]["text"] == "Done: wrote hello.txt."
        assert [r.turn for r in svc.requests] == [0, None, 1]
        assert svc.prompt_count("make hello") == 1


def test_exec_policy_never_gets_a_plain_command() -> None:
    with ModelServiceThread(edit_with_permission()) as svc:
        _, text = post(svc.url + "/v1/responses", body("go", developer=EXEC_POLICY), TURN)
        call = [e["item"] for e in events(text) if e["type"] == "response.output_item.done"][1]
        assert "sandbox_permissions" not in json.loads(call["arguments"])


def test_error_turn_uses_openai_error_shape_and_cached_tokens_are_included_in_input() -> None:
    with ModelServiceThread(error_reply(401, "Incorrect API key provided")) as svc:
        status, text = post(svc.url + "/v1/responses", body("go"), TURN)
        assert status == 401 and json.loads(text)["error"] == {
            "message": "Incorrect API key provided",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    usage = TurnUsage(input_tokens=10, output_tokens=3, cache_read_input_tokens=7)
    with ModelServiceThread(Scenario(turns=[Turn(kind="text", text="hi", usage=usage)])) as svc:
        _, text = post(svc.url + "/v1/responses", body("go"), TURN)
        assert events(text)[-1]["response"]["usage"] | {} == {
            "input_tokens": 17,
            "input_tokens_details": {"cached_tokens": 7},
            "output_tokens": 3,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 20,
        }


def test_not_json_is_a_400() -> None:
    with ModelServiceThread(edit_with_permission()) as svc:
        req = urllib.request.Request(svc.url + "/v1/responses", data=b"{oops", headers={"content-type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=10)
            raise AssertionError("expected an HTTP error")
        except urllib.error.HTTPError as exc:
            assert exc.code == 400
        assert svc.requests == []
