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
from typing import Any

from aiohttp import web

from cockpit.modelservice.scenario import Turn, TurnUsage

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


def add_routes(app: web.Application, service: Any) -> None:
    async def messages(request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        if body is None:
            return error_response(400, "the request body is not JSON")
        main = bool(body.get("tools"))
        if not main:
            service.record(request, API, None, user_text(body), body)
            return await answer(request, body, Turn(kind="text", text="ok", usage=TurnUsage(input_tokens=0, output_tokens=0)))
        index, turn = service.take_turn()
        service.record(request, API, index, user_text(body), body, exhausted=index is None)
        if turn.kind == "hang":
            await service.hold()
            return error_response(529, "the scripted model service stopped")
        if turn.kind == "error":
            return error_response(turn.status, turn.message or ERROR_TYPES.get(turn.status, "error"))
        response = await answer(request, body, turn)
        service.finished_turn()
        return response

    async def count_tokens(request: web.Request) -> web.Response:
        body = await _json(request) or {}
        service.record(request, API, None, user_text(body), body)
        return web.json_response({"input_tokens": max(1, len(json.dumps(body.get("messages", []))) // 4)})

    app.router.add_post("/v1/messages", messages)
    app.router.add_post("/v1/messages/count_tokens", count_tokens)


async def _json(request: web.Request) -> dict[str, Any] | None:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def error_response(status: int, message: str) -> web.Response:
    """Anthropic's error shape: {"type": "error", "error": {"type", "message"}}."""
    kind = ERROR_TYPES.get(status, "api_error")
    headers = {"request-id": f"req_scripted_{next(_ids)}"}
    if status < 500 and status not in (408, 409, 429):
        headers["x-should-retry"] = "false"  # as the real API: a client error is final
    return web.json_response({"type": "error", "error": {"type": kind, "message": message}}, status=status, headers=headers)


def user_text(body: dict[str, Any]) -> str:
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


def workdir(body: dict[str, Any]) -> str | None:
    system = body.get("system")
    if isinstance(system, list):
        system = "\n".join(b.get("text", "") for b in system if isinstance(b, dict))
    found = _WORKDIR_RE.search(system or "")
    return found.group(1).strip() if found else None


def content_blocks(turn: Turn, body: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
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


def _tool(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_scripted_{next(_ids):04d}", "name": name, "input": arguments}


def _usage(usage: TurnUsage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
    }


async def answer(request: web.Request, body: dict[str, Any], turn: Turn) -> web.StreamResponse:
    blocks = content_blocks(turn, body)
    stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
    message = {
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
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "request-id": f"req_scripted_{next(_ids)}"}
    )
    await response.prepare(request)
    start_usage = dict(_usage(turn.usage), output_tokens=0)
    await _event(response, "message_start", {"message": dict(message, content=[], stop_reason=None, usage=start_usage)})
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            await _event(response, "content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}})
            await _event(
                response, "content_block_delta", {"index": index, "delta": {"type": "text_delta", "text": block["text"]}}
            )
        else:
            await _event(response, "content_block_start", {"index": index, "content_block": dict(block, input={})})
            await _event(
                response,
                "content_block_delta",
                {"index": index, "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}},
            )
        await _event(response, "content_block_stop", {"index": index})
    await _event(
        response,
        "message_delta",
        {"delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": turn.usage.output_tokens}},
    )
    await _event(response, "message_stop", {})
    await response.write_eof()
    return response


async def _event(response: web.StreamResponse, name: str, data: dict[str, Any]) -> None:
    payload = json.dumps({"type": name, **data})
    await response.write(f"event: {name}\ndata: {payload}\n\n".encode())
