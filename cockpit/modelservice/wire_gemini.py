"""The Gemini API (what gemini-cli 0.61 speaks with GEMINI_API_KEY + GOOGLE_GEMINI_BASE_URL):
POST /v1beta/models/<model>:generateContent and :streamGenerateContent?alt=sse.

A request that offers tools (`functionDeclarations`) and asks for no JSON-schema answer is
a main conversation turn. gemini's side requests are auxiliary: the "auto" model router
asks a flash-lite model for `{complexity_reasoning, complexity_score}` under a
`responseJsonSchema`, and other helpers (next-speaker checks, summaries) do likewise. They
get an object built from the requested schema and zero usage, so they consume no turn and
never change the token figures (gemini adds every model's usage into its `stats`).

Tool calls use gemini's own tools: `write_file {file_path, content}` and
`run_shell_command {command, description}`. Streaming answers are SSE `data:` lines, each
a GenerateContentResponse; `usageMetadata.promptTokenCount` includes the cached tokens.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from cockpit.modelservice.scenario import Turn, TurnUsage

API = "gemini"
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
SESSION_CONTEXT = "<session_context>"


def add_routes(app: web.Application, service: Any) -> None:
    async def models(request: web.Request) -> web.StreamResponse:
        model, _, method = request.match_info["call"].partition(":")
        body = await _json(request)
        if body is None:
            return error_response(400, "the request body is not JSON")
        if method == "countTokens":
            service.record(request, API, None, user_text(body), body)
            return web.json_response({"totalTokens": max(1, len(json.dumps(body.get("contents", []))) // 4)})
        if method not in ("generateContent", "streamGenerateContent"):
            service.record(request, API, None, user_text(body), body)
            return error_response(404, f"unknown method {method!r} for models/{model}")
        stream = method == "streamGenerateContent"
        if not is_main(body):
            service.record(request, API, None, user_text(body), body)
            return await answer(request, auxiliary_answer(body, model), stream)
        index, turn = service.take_turn()
        service.record(request, API, index, user_text(body), body, exhausted=index is None)
        if turn.kind == "hang":
            await service.hold()
            return error_response(503, "the scripted model service stopped")
        if turn.kind == "error":
            return error_response(turn.status, turn.message or STATUS_NAMES.get(turn.status, "error"))
        response = await answer(request, main_answer(turn, model), stream)
        service.finished_turn()
        return response

    app.router.add_post("/v1beta/models/{call}", models)
    app.router.add_post("/v1/models/{call}", models)


async def _json(request: web.Request) -> dict[str, Any] | None:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _wants_json(body: dict[str, Any]) -> bool:
    config = body.get("generationConfig") or {}
    return bool(
        config.get("responseJsonSchema") or config.get("responseSchema") or config.get("responseMimeType") == "application/json"
    )


def is_main(body: dict[str, Any]) -> bool:
    tools = body.get("tools") or []
    declares = any(isinstance(t, dict) and t.get("functionDeclarations") for t in tools)
    return declares and not _wants_json(body)


def error_response(status: int, message: str) -> web.Response:
    """Google's error shape: {"error": {"code", "message", "status"}}."""
    return web.json_response(
        {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}}, status=status
    )


def user_text(body: dict[str, Any]) -> str:
    """The newest user content's text (without gemini's <session_context> part); "" when it
    carries function responses (a follow-up inside the same turn)."""
    for content in reversed(body.get("contents") or []):
        if not isinstance(content, dict) or content.get("role", "user") != "user":
            continue
        parts = [p for p in content.get("parts") or [] if isinstance(p, dict)]
        if any("functionResponse" in p for p in parts):
            return ""
        texts = [p.get("text", "") for p in parts if isinstance(p.get("text"), str)]
        return "\n".join(t for t in texts if not t.lstrip().startswith(SESSION_CONTEXT))
    return ""


def _example(schema: Any) -> Any:
    """A value that satisfies a (Gemini-style, upper-case types) JSON schema."""
    if not isinstance(schema, dict):
        return "ok"
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    kind = str(schema.get("type", "string")).lower()
    if kind == "object":
        props = schema.get("properties") or {}
        return {name: _example(sub) for name, sub in props.items()}
    if kind == "array":
        return [_example(schema.get("items"))] if schema.get("minItems") else []
    if kind in ("integer", "number"):
        return max(1, int(schema.get("minimum", 1)))
    if kind == "boolean":
        return False
    return "ok"


def auxiliary_answer(body: dict[str, Any], model: str) -> dict[str, Any]:
    config = body.get("generationConfig") or {}
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    text = json.dumps(_example(schema)) if _wants_json(body) else "ok"
    return _response([{"text": text}], TurnUsage(input_tokens=0, output_tokens=0), model)


def main_answer(turn: Turn, model: str) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if turn.text:
        parts.append({"text": turn.text})
    if turn.kind == "write_file":
        parts.append({"functionCall": {"name": "write_file", "args": {"file_path": turn.path, "content": turn.content}}})
    elif turn.kind == "shell":
        parts.append(
            {
                "functionCall": {
                    "name": "run_shell_command",
                    "args": {"command": turn.command, "description": "Run the scripted command"},
                }
            }
        )
    return _response(parts, turn.usage, model)


def _response(parts: list[dict[str, Any]], usage: TurnUsage, model: str) -> dict[str, Any]:
    prompt = usage.input_tokens + usage.cache_read_input_tokens
    metadata: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": usage.output_tokens,
        "totalTokenCount": prompt + usage.output_tokens,
    }
    if usage.cache_read_input_tokens:
        metadata["cachedContentTokenCount"] = usage.cache_read_input_tokens
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": metadata,
        "modelVersion": model,
    }


async def answer(request: web.Request, payload: dict[str, Any], stream: bool) -> web.StreamResponse:
    if not stream:
        return web.json_response(payload)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    await response.write(f"data: {json.dumps(payload)}\r\n\r\n".encode())
    await response.write_eof()
    return response
