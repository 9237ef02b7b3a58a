"""The scripted model service's OpenAI Chat Completions wire over real HTTP."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage, edit_with_permission, error_reply, hang
from cockpit.modelservice.server import ModelServiceThread

TOOLS = [{"type": "function", "function": {"name": n, "parameters": {"type": "object"}}} for n in ("write", "bash")]
WHOLE = "To suggest changes to a file you MUST return the entire content of the updated file."
DIFF = "Every *SEARCH/REPLACE block* must use this format:"


def post(url: str, body: dict, timeout: float = 10) -> tuple[int, str]:
    req = urllib.request.Request(
        url + "/v1/chat/completions", data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def chunks(text: str) -> list[dict]:
    data = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    return [json.loads(d) for d in data[:-1]]


def opencode_body(prompt: str, *extra: dict) -> dict:
    return {
        "model": "scripted",
        "stream": True,
        "stream_options": {"include_usage": True},
        "tools": TOOLS,
        "messages": [{"role": "system", "content": "You are opencode"}, {"role": "user", "content": prompt}, *extra],
    }


def test_tool_call_stream_then_text_with_exact_usage_and_one_delivery() -> None:
    with ModelServiceThread(edit_with_permission("hello.txt", "hi\n")) as svc:
        title = {
            "model": "scripted",
            "stream": True,
            "messages": [
                {"role": "system", "content": "You are a title generator. You output ONLY a thread title."},
                {"role": "user", "content": "make hello"},
            ],
        }
        status, text = post(svc.url, title)
        assert status == 200 and chunks(text)[-1]["usage"]["completion_tokens"] == 0
        status, text = post(svc.url, opencode_body("make hello"))
        assert status == 200
        events = chunks(text)
        calls = [
            c["choices"][0]["delta"]["tool_calls"][0] for c in events if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
        ]
        assert calls[0]["function"]["name"] == "write" and calls[0]["id"].startswith("call_")
        assert json.loads("".join(c["function"]["arguments"] for c in calls)) == {"filePath": "hello.txt", "content": "hi\n"}
        assert [c["choices"][0]["finish_reason"] for c in events if c["choices"]][-1] == "tool_calls"
        assert events[-1]["choices"] == [] and events[-1]["usage"] == {
            "prompt_tokens": 123,
            "completion_tokens": 45,
            "total_tokens": 168,
            "prompt_tokens_details": {"cached_tokens": 0},
        }
        tool_result = ({"role": "assistant", "tool_calls": [calls[0]]}, {"role": "tool", "tool_call_id": "x", "content": "ok"})
        status, text = post(svc.url, opencode_body("make hello", *tool_result))
        events = chunks(text)
        assert "".join(c["choices"][0]["delta"].get("content") or "" for c in events if c["choices"]) == "Done: wrote hello.txt."
        assert events[-1]["usage"]["prompt_tokens"] == 153
        assert [r.turn for r in svc.requests] == [None, 0, 1]
        assert svc.prompt_count("make hello") == 1  # the follow-up carries a tool result, not the prompt


def test_without_tools_an_edit_is_text_in_the_edit_format_the_client_asked_for() -> None:
    turn = Turn(
        kind="write_file", path="a.txt", content="one", text="Creating a.txt.", usage=TurnUsage(input_tokens=7, output_tokens=3)
    )
    with ModelServiceThread(Scenario(turns=[turn, turn, Turn(kind="shell", command="make test")])) as svc:
        for system, expected in (
            (WHOLE, "Creating a.txt.\n\na.txt\n```\none\n```\n"),
            (DIFF, "Creating a.txt.\n\na.txt\n```\n<<<<<<< SEARCH\n=======\none\n>>>>>>> REPLACE\n```\n"),
        ):
            status, text = post(
                svc.url,
                {"model": "scripted", "messages": [{"role": "system", "content": system}, {"role": "user", "content": "go"}]},
            )
            body = json.loads(text)
            assert status == 200 and body["choices"][0]["message"]["content"] == expected
            assert body["usage"]["prompt_tokens"] == 7 and body["usage"]["completion_tokens"] == 3
        status, text = post(svc.url, {"model": "scripted", "stream": True, "messages": [{"role": "user", "content": "go"}]})
        assert "```bash\\nmake test\\n```" in text
        commit = {
            "model": "scripted",
            "messages": [
                {
                    "role": "system",
                    "content": "You are an expert software engineer that generates concise, one-line Git commit messages",
                },
                {"role": "user", "content": "diff"},
            ],
        }
        assert post(svc.url, commit)[0] == 200
        assert [r.turn for r in svc.requests] == [0, 1, 2, None]


def test_error_status_in_openai_shape_and_cached_tokens_counted_in_prompt() -> None:
    with ModelServiceThread(error_reply(401, "Incorrect API key provided")) as svc:
        status, text = post(svc.url, opencode_body("hi"))
        assert status == 401 and json.loads(text) == {
            "error": {
                "message": "Incorrect API key provided",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        }
        assert post(svc.url, opencode_body("hi"))[0] == 401  # repeat: 0 answers every request
    cached = Turn(kind="text", text="x", usage=TurnUsage(input_tokens=10, output_tokens=2, cache_read_input_tokens=90))
    with ModelServiceThread(Scenario(turns=[cached])) as svc:
        usage = chunks(post(svc.url, opencode_body("hi"))[1])[-1]["usage"]
        assert usage["prompt_tokens"] == 100 and usage["prompt_tokens_details"] == {"cached_tokens": 90}


def test_bad_json_is_a_400_and_a_hang_holds_until_stop() -> None:
    with ModelServiceThread(hang()) as svc:
        req = urllib.request.Request(
            svc.url + "/v1/chat/completions", data=b"{not json", headers={"content-type": "application/json"}
        )
        try:
            urllib.request.urlopen(req, timeout=10)
            raise AssertionError("a 400 was expected")
        except urllib.error.HTTPError as exc:
            assert exc.code == 400
        answers: list[int] = []
        thread = threading.Thread(target=lambda: answers.append(post(svc.url, opencode_body("hi"), timeout=60)[0]))
        thread.start()
        deadline = time.monotonic() + 60
        while not svc.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        assert answers == [] and thread.is_alive()  # held open
    thread.join(timeout=30)
    assert answers == [503]
