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
from typing import TYPE_CHECKING, cast

from aiohttp import web

from cockpit.domain.json_value import JsonValue
from cockpit.modelservice.scenario import Turn, TurnUsage
from cockpit.modelservice.schema_gemini import (
    ErrorBody,
    FunctionCallPart,
    GenerateContentRequest,
    GenerateContentResponse,
    TextPart,
    TokenCount,
    UsageMetadata,
)
from cockpit.modelservice.wire_common import NO_USAGE, Wire, main_turn, open_stream, read_object

if TYPE_CHECKING:
    from cockpit.modelservice.server import ModelService

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


def add_routes(app: web.Application, service: ModelService) -> None:
    wire = Wire(API, error_response, STATUS_NAMES, stopped_status=503)

    async def models(request: web.Request) -> web.StreamResponse:
        model, _, method = request.match_info["call"].partition(":")
        raw = await read_object(request)
        if raw is None:
            return error_response(400, "the request body is not JSON")
        body = cast(GenerateContentRequest, raw)  # the fields the wire reads; shapes still checked where read
        if method == "countTokens":
            service.record(request, API, None, user_text(body), raw)
            count: TokenCount = {"totalTokens": max(1, len(json.dumps(raw.get("contents", []))) // 4)}
            return web.json_response(count)
        if method not in ("generateContent", "streamGenerateContent"):
            service.record(request, API, None, user_text(body), raw)
            return error_response(404, f"unknown method {method!r} for models/{model}")
        stream = method == "streamGenerateContent"
        if not is_main(body):
            service.record(request, API, None, user_text(body), raw)
            return await answer(request, auxiliary_answer(body, model), stream)
        return await main_turn(
            service, wire, request, user_text(body), raw, lambda turn: answer(request, main_answer(turn, model), stream)
        )

    app.router.add_post("/v1beta/models/{call}", models)
    app.router.add_post("/v1/models/{call}", models)


def _wants_json(body: GenerateContentRequest) -> bool:
    config = body.get("generationConfig") or {}
    return bool(
        config.get("responseJsonSchema") or config.get("responseSchema") or config.get("responseMimeType") == "application/json"
    )


def is_main(body: GenerateContentRequest) -> bool:
    tools = body.get("tools") or []
    declares = any(isinstance(t, dict) and t.get("functionDeclarations") for t in tools)
    return declares and not _wants_json(body)


def error_response(status: int, message: str) -> web.Response:
    """Google's error shape: {"error": {"code", "message", "status"}}."""
    error: ErrorBody = {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}}
    return web.json_response(error, status=status)


def user_text(body: GenerateContentRequest) -> str:
    """The newest user content's text (without gemini's <session_context> part); "" when it
    carries function responses (a follow-up inside the same turn)."""
    for content in reversed(body.get("contents") or []):
        if not isinstance(content, dict) or content.get("role", "user") != "user":
            continue
        parts = [p for p in content.get("parts") or [] if isinstance(p, dict)]
        if any("functionResponse" in p for p in parts):
            return ""
        texts = [text for p in parts if isinstance(text := p.get("text"), str)]
        return "\n".join(t for t in texts if not t.lstrip().startswith(SESSION_CONTEXT))
    return ""


def _example(schema: JsonValue) -> JsonValue:
    """A value that satisfies a (Gemini-style, upper-case types) JSON schema."""
    if not isinstance(schema, dict):
        return "ok"
    if "enum" in schema and (choices := schema["enum"]):
        return choices[0] if isinstance(choices, list) else "ok"
    kind = str(schema.get("type", "string")).lower()
    if kind == "object":
        props = schema.get("properties") or {}
        return {name: _example(sub) for name, sub in props.items()} if isinstance(props, dict) else {}
    if kind == "array":
        return [_example(schema.get("items"))] if schema.get("minItems") else []
    if kind in ("integer", "number"):
        minimum = schema.get("minimum", 1)
        return max(1, int(minimum)) if isinstance(minimum, int | float | str) else 1
    if kind == "boolean":
        return False
    return "ok"


def auxiliary_answer(body: GenerateContentRequest, model: str) -> GenerateContentResponse:
    config = body.get("generationConfig") or {}
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    text = json.dumps(_example(schema)) if _wants_json(body) else "ok"
    return _response([{"text": text}], NO_USAGE, model)


def main_answer(turn: Turn, model: str) -> GenerateContentResponse:
    parts: list[TextPart | FunctionCallPart] = []
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


def _response(parts: list[TextPart | FunctionCallPart], usage: TurnUsage, model: str) -> GenerateContentResponse:
    prompt = usage.input_tokens + usage.cache_read_input_tokens
    metadata: UsageMetadata = {
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


async def answer(request: web.Request, payload: GenerateContentResponse, stream: bool) -> web.StreamResponse:
    if not stream:
        return web.json_response(payload)
    response = await open_stream(request)
    await response.write(f"data: {json.dumps(payload)}\r\n\r\n".encode())
    await response.write_eof()
    return response
