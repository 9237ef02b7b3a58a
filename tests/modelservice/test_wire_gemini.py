"""The Gemini wire over real HTTP: router/side requests vs main turns, tool calls, SSE, errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from cockpit.modelservice.scenario import edit_with_permission, error_reply, shell_with_permission
from cockpit.modelservice.server import ModelServiceThread

TOOLS = [{"functionDeclarations": [{"name": "write_file"}, {"name": "run_shell_command"}]}]


def post(url: str, body: dict) -> tuple[int, str]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def main_body(prompt: str, parts: list | None = None) -> dict:
    return {
        "tools": TOOLS,
        "contents": [
            {"role": "user", "parts": [{"text": "<session_context>\nThis is the Gemini CLI."}, {"text": prompt}]},
            *(
                [
                    {"role": "model", "parts": [{"functionCall": {"name": "write_file", "args": {}}}]},
                    {"role": "user", "parts": parts},
                ]
                if parts
                else []
            ),
        ],
    }


ROUTER = {
    "contents": [{"role": "user", "parts": [{"text": "make hello"}]}],
    "generationConfig": {
        "responseMimeType": "application/json",
        "responseJsonSchema": {
            "type": "OBJECT",
            "properties": {"complexity_reasoning": {"type": "STRING"}, "complexity_score": {"type": "INTEGER"}},
            "required": ["complexity_reasoning", "complexity_score"],
        },
    },
}


def sse(text: str) -> list[dict]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


def test_router_is_auxiliary_then_streamed_write_file_then_text() -> None:
    with ModelServiceThread(edit_with_permission("hello.txt", "hi\n")) as svc:
        status, text = post(svc.url + "/v1beta/models/gemini-3.5-flash-lite:generateContent", ROUTER)
        assert status == 200
        answer = json.loads(text)
        routed = json.loads(answer["candidates"][0]["content"]["parts"][0]["text"])
        assert set(routed) == {"complexity_reasoning", "complexity_score"} and isinstance(routed["complexity_score"], int)
        assert answer["usageMetadata"]["promptTokenCount"] == 0
        status, text = post(svc.url + "/v1beta/models/gemini-3.8-flash:streamGenerateContent?alt=sse", main_body("make hello"))
        chunks = sse(text)
        parts = chunks[0]["candidates"][0]["content"]["parts"]
        assert parts == [
            {"text": "I will create hello.txt."},
            {"functionCall": {"name": "write_file", "args": {"file_path": "hello.txt", "content": "hi\n"}}},
        ]
        assert chunks[0]["usageMetadata"] == {"promptTokenCount": 123, "candidatesTokenCount": 45, "totalTokenCount": 168}
        follow = main_body("make hello", [{"functionResponse": {"name": "write_file", "response": {"output": "ok"}}}])
        status, text = post(svc.url + "/v1beta/models/gemini-3.8-flash:streamGenerateContent?alt=sse", follow)
        assert sse(text)[0]["candidates"][0]["content"]["parts"] == [{"text": "Done: wrote hello.txt."}]
        assert [r.turn for r in svc.requests] == [None, 0, 1]
        assert [r.user_text for r in svc.requests] == ["make hello", "make hello", ""]
        assert svc.prompt_count("make hello") == 1


def test_shell_turn_uses_run_shell_command_and_errors_use_google_shape() -> None:
    with ModelServiceThread(shell_with_permission("echo hi > x.txt")) as svc:
        _, text = post(svc.url + "/v1beta/models/m:generateContent", main_body("go"))
        call = json.loads(text)["candidates"][0]["content"]["parts"][1]["functionCall"]
        assert call == {
            "name": "run_shell_command",
            "args": {"command": "echo hi > x.txt", "description": "Run the scripted command"},
        }
    with ModelServiceThread(error_reply(401, "API key not valid.")) as svc:
        status, text = post(svc.url + "/v1beta/models/m:streamGenerateContent?alt=sse", main_body("go"))
        assert status == 401
        assert json.loads(text) == {"error": {"code": 401, "message": "API key not valid.", "status": "UNAUTHENTICATED"}}


def test_unknown_method_is_a_404_and_consumes_no_turn() -> None:
    with ModelServiceThread(edit_with_permission()) as svc:
        status, _ = post(svc.url + "/v1beta/models/m:embedContent", main_body("go"))
        assert status == 404 and svc.service.turns_used() == 0
