"""The Anthropic Messages API (what claude speaks): POST /v1/messages and count_tokens.

A request with tools is a main conversation turn; one without (title generation,
quota probes) is auxiliary and gets a short text answer with zero usage, so it never
changes the token figures a test compares. Streaming answers are SSE with the same
event sequence the real API sends (message_start, content_block_*, message_delta,
message_stop); tool calls use claude's own tools (Write, Bash).
"""

from __future__ import annotations

import itertools
import json
import re
from typing import TYPE_CHECKING, cast

from aiohttp import web

from cockpit.domain.json_value import JsonObject
from cockpit.modelservice.scenario import Turn, TurnUsage
from cockpit.modelservice.schema_anthropic import (
    ContentBlock,
    ErrorBody,
    Message,
    MessagesRequest,
    StreamEvent,
    TokenCount,
    ToolUseBlock,
    Usage,
)
from cockpit.modelservice.wire_common import Wire, auxiliary_turn, main_turn, open_stream, read_object, write_named_event

if TYPE_CHECKING:
    from cockpit.modelservice.server import ModelService

API = "anthropic"
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
_WORKDIR_RE = re.compile(r"Primary working directory: (\S[^\n]*)")
_ids = itertools.count(1)


def add_routes(app: web.Application, service: ModelService) -> None:
    wire = Wire(API, error_response, ERROR_TYPES, stopped_status=529)

    async def messages(request: web.Request) -> web.StreamResponse:
        raw = await read_object(request)
        if raw is None:
            return error_response(400, "the request body is not JSON")
        body = cast(MessagesRequest, raw)  # the fields the wire reads; shapes still checked where read
        if not body.get("tools"):
            service.record(request, API, None, user_text(body), raw)
            return await answer(request, body, auxiliary_turn("ok"))
        return await main_turn(service, wire, request, user_text(body), raw, lambda turn: answer(request, body, turn))

    async def count_tokens(request: web.Request) -> web.Response:
        raw = await read_object(request) or {}
        service.record(request, API, None, user_text(cast(MessagesRequest, raw)), raw)
        count: TokenCount = {"input_tokens": max(1, len(json.dumps(raw.get("messages", []))) // 4)}
        return web.json_response(count)

    app.router.add_post("/v1/messages", messages)
    app.router.add_post("/v1/messages/count_tokens", count_tokens)


def error_response(status: int, message: str) -> web.Response:
    """Anthropic's error shape: {"type": "error", "error": {"type", "message"}}."""
    kind = ERROR_TYPES.get(status, "api_error")
    headers = {"request-id": f"req_scripted_{next(_ids)}"}
    if status < 500 and status not in (408, 409, 429):
        headers["x-should-retry"] = "false"  # as the real API: a client error is final
    error: ErrorBody = {"type": "error", "error": {"type": kind, "message": message}}
    return web.json_response(error, status=status, headers=headers)


def user_text(body: MessagesRequest) -> str:
    """The text of the newest user message, without claude's <system-reminder> blocks."""
    for message in reversed(body.get("messages") or []):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        texts = [b.get("text", "") for b in content or [] if isinstance(b, dict) and b.get("type") == "text"]
        return "\n".join(t for t in texts if not t.lstrip().startswith("<system-reminder>"))
    return ""


def workdir(body: MessagesRequest) -> str | None:
    system = body.get("system")
    if isinstance(system, list):
        system = "\n".join(b.get("text", "") for b in system if isinstance(b, dict))
    found = _WORKDIR_RE.search(system or "")
    return found.group(1).strip() if found else None


def content_blocks(turn: Turn, body: MessagesRequest) -> list[ContentBlock]:
    blocks: list[ContentBlock] = []
    if turn.text:
        blocks.append({"type": "text", "text": turn.text})
    if turn.kind == "write_file":
        path = turn.path
        if not path.startswith("/") and (cwd := workdir(body)):
            path = f"{cwd.rstrip('/')}/{path}"
        blocks.append(_tool("Write", {"file_path": path, "content": turn.content}))
    elif turn.kind == "shell":
        blocks.append(_tool("Bash", {"command": turn.command, "description": "Run the scripted command"}))
    return blocks


def _tool(name: str, arguments: JsonObject) -> ToolUseBlock:
    return {"type": "tool_use", "id": f"toolu_scripted_{next(_ids):04d}", "name": name, "input": arguments}


def _usage(usage: TurnUsage) -> Usage:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
    }


async def answer(request: web.Request, body: MessagesRequest, turn: Turn) -> web.StreamResponse:
    blocks = content_blocks(turn, body)
    stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
    message: Message = {
        "id": f"msg_scripted_{next(_ids):04d}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "scripted"),
        "content": blocks,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": _usage(turn.usage),
    }
    if not body.get("stream"):
        return web.json_response(message)
    response = await open_stream(request, {"request-id": f"req_scripted_{next(_ids)}"})
    for event in stream_events(message, stop, turn.usage):
        await write_named_event(response, event)
    await response.write_eof()
    return response


def stream_events(message: Message, stop: str, usage: TurnUsage) -> list[StreamEvent]:
    """The SSE sequence the real API sends for `message`."""
    start_usage: Usage = {**_usage(usage), "output_tokens": 0}
    start: Message = {**message, "content": [], "stop_reason": None, "usage": start_usage}
    events: list[StreamEvent] = [{"type": "message_start", "message": start}]
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            events.append({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}})
            events.append({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": block["text"]}})
        else:
            events.append({"type": "content_block_start", "index": index, "content_block": {**block, "input": {}}})
            events.append(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
                }
            )
        events.append({"type": "content_block_stop", "index": index})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": usage.output_tokens},
        }
    )
    events.append({"type": "message_stop"})
    return events
