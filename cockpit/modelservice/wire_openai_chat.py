"""OpenAI Chat Completions (what aider and opencode speak): POST /v1/chat/completions.

Main or auxiliary: opencode sends its tools with every main request and none with its
title request; aider never sends tools, so its auxiliary requests (commit messages,
chat summaries) are told apart by their system prompt. Auxiliary requests get a short
text answer with zero usage, so they never change the token figures a test compares.

How a turn is rendered depends on the client:
  * with tools (opencode): write_file and shell become a streamed `tool_calls` delta
    naming the client's own tools (`write` {filePath, content}, `bash` {command});
  * without tools (aider): write_file becomes text in the edit format aider asked for in
    its system prompt ("whole" file listing or SEARCH/REPLACE block), shell a ```bash
    block, which aider offers to run.
Usage goes in a last chunk with no choices (what `stream_options.include_usage` asks
for; sent always: clients that did not ask skip a chunk without choices) and in the
body of a non-streamed answer. prompt_tokens counts all input, cached included.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import TYPE_CHECKING, cast

from aiohttp import web

from cockpit.domain.json_value import JsonObject
from cockpit.modelservice.scenario import Turn, TurnUsage
from cockpit.modelservice.schema_openai_chat import (
    AssistantMessage,
    ChatMessage,
    ChatRequest,
    Chunk,
    ChunkChoice,
    Completion,
    ContentPart,
    ErrorBody,
    ModelList,
    ToolCallDelta,
    Usage,
)
from cockpit.modelservice.wire_common import Wire, auxiliary_turn, main_turn, open_stream, read_object

if TYPE_CHECKING:
    from cockpit.modelservice.server import ModelService

API = "openai-chat"
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_denied",
    404: "not_found_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "server_error",
}
ERROR_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded"}
# System prompts of requests that are not the conversation itself.
_AUXILIARY_RE = re.compile(r"title generator|generates concise, one-line Git commit messages|summarize", re.IGNORECASE)
_ids = itertools.count(1)


def add_routes(app: web.Application, service: ModelService) -> None:
    wire = Wire(API, error_response, ERROR_TYPES, stopped_status=503)

    async def completions(request: web.Request) -> web.StreamResponse:
        raw = await read_object(request)
        if raw is None:
            return error_response(400, "the request body is not JSON")
        body = cast(ChatRequest, raw)  # the fields the wire reads; shapes still checked where read
        if is_auxiliary(body):
            service.record(request, API, None, user_text(body), raw)
            return await answer(request, body, auxiliary_turn("Scripted answer"))
        return await main_turn(service, wire, request, user_text(body), raw, lambda turn: answer(request, body, turn))

    async def models(request: web.Request) -> web.Response:
        service.record(request, API, None, "", None)
        listing: ModelList = {
            "object": "list",
            "data": [{"id": "scripted", "object": "model", "created": 0, "owned_by": "cockpit"}],
        }
        return web.json_response(listing)

    for prefix in ("/v1", ""):
        app.router.add_post(f"{prefix}/chat/completions", completions)
        app.router.add_get(f"{prefix}/models", models)


def error_response(status: int, message: str) -> web.Response:
    """OpenAI's error shape: {"error": {"message", "type", "param", "code"}}."""
    error: ErrorBody = {
        "error": {
            "message": message,
            "type": ERROR_TYPES.get(status, "api_error"),
            "param": None,
            "code": ERROR_CODES.get(status),
        }
    }
    return web.json_response(error, status=status, headers={"x-request-id": f"req_scripted_{next(_ids)}"})


def _text(content: str | list[ContentPart] | None) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _messages(body: ChatRequest) -> list[ChatMessage]:
    return [m for m in body.get("messages") or [] if isinstance(m, dict)]


def system_text(body: ChatRequest) -> str:
    return "\n".join(_text(m.get("content")) for m in _messages(body) if m.get("role") in ("system", "developer"))


def is_auxiliary(body: ChatRequest) -> bool:
    if body.get("tools"):
        return False
    return bool(_AUXILIARY_RE.search(system_text(body)[:400]))


def user_text(body: ChatRequest) -> str:
    """The newest message's text when the user sent it; "" when it is a tool result (a
    follow-up request of the same prompt), so a prompt is counted once per delivery."""
    messages = _messages(body)
    if not messages or messages[-1].get("role") != "user":
        return ""
    return _text(messages[-1].get("content"))


def _tool_names(body: ChatRequest) -> set[str]:
    names = set()
    for tool in body.get("tools") or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(name := function.get("name"), str):
            names.add(name)
    return names


def tool_call(turn: Turn, body: ChatRequest) -> tuple[str, JsonObject] | None:
    """(tool name, arguments) for a tool turn, in the client's own tool vocabulary."""
    names = _tool_names(body)
    if turn.kind == "write_file":
        name = next((n for n in ("write", "write_file", "create_file") if n in names), "write")
        return name, {"filePath": turn.path, "content": turn.content}
    if turn.kind == "shell":
        name = next((n for n in ("bash", "shell", "run_shell_command") if n in names), "bash")
        return name, {"command": turn.command, "description": "Run the scripted command"}
    return None


def edit_text(turn: Turn, body: ChatRequest) -> str:
    """A tool turn as text, for a client without tools (aider's edit formats)."""
    parts = [turn.text] if turn.text else []
    content = turn.content if turn.content.endswith("\n") or not turn.content else turn.content + "\n"
    if turn.kind == "write_file":
        if "SEARCH/REPLACE" in system_text(body):
            parts.append(f"{turn.path}\n```\n<<<<<<< SEARCH\n=======\n{content}>>>>>>> REPLACE\n```")
        else:
            parts.append(f"{turn.path}\n```\n{content}```")
    elif turn.kind == "shell":
        parts.append(f"```bash\n{turn.command}\n```")
    return "\n\n".join(parts) + "\n"


def usage_object(usage: TurnUsage) -> Usage:
    prompt = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_input_tokens},
    }


async def answer(request: web.Request, body: ChatRequest, turn: Turn) -> web.StreamResponse:
    call = tool_call(turn, body) if body.get("tools") else None
    text = turn.text if call or turn.kind == "text" else edit_text(turn, body)
    ident, created, model = f"chatcmpl-scripted-{next(_ids):04d}", int(time.time()), body.get("model", "scripted")
    call_id = f"call_scripted_{next(_ids):04d}"
    finish = "tool_calls" if call else "stop"
    if not body.get("stream"):
        message: AssistantMessage = {"role": "assistant", "content": text or None}
        if call:
            message["tool_calls"] = [
                {"id": call_id, "type": "function", "function": {"name": call[0], "arguments": json.dumps(call[1])}}
            ]
        completion: Completion = {
            "id": ident,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage_object(turn.usage),
        }
        return web.json_response(completion)
    response = await open_stream(request)

    async def chunk(choices: list[ChunkChoice], usage: Usage | None = None) -> None:
        data: Chunk = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model, "choices": choices}
        if usage is not None:
            data["usage"] = usage
        await response.write(f"data: {json.dumps(data)}\n\n".encode())

    await chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
    if text:
        await chunk([{"index": 0, "delta": {"content": text}, "finish_reason": None}])
    if call:
        first: ToolCallDelta = {"index": 0, "id": call_id, "type": "function", "function": {"name": call[0], "arguments": ""}}
        await chunk([{"index": 0, "delta": {"tool_calls": [first]}, "finish_reason": None}])
        rest: ToolCallDelta = {"index": 0, "function": {"arguments": json.dumps(call[1])}}
        await chunk([{"index": 0, "delta": {"tool_calls": [rest]}, "finish_reason": None}])
    await chunk([{"index": 0, "delta": {}, "finish_reason": finish}])
    await chunk([], usage_object(turn.usage))
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response
