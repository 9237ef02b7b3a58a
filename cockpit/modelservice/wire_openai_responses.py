"""The OpenAI Responses API (what codex 0.169 speaks through a custom provider): POST /v1/responses.

codex sends every request with `stream: true` and reads SSE events: `response.created`,
`response.output_item.added/done` (the items it acts on), `response.output_text.delta`
(text shown while streaming) and `response.completed` (carrying `usage`, which codex adds
up into `turn.completed`). A request is a main conversation turn when codex's turn metadata
names what triggered it (`turn_trigger`: user, exec); its title-generation request carries
no trigger and is auxiliary (a short answer, zero usage, no turn consumed).

Tool calls use codex's own `exec_command` function. A file write is a shell command; when
codex tells the model that approvals are possible (interactive: on-request), the call asks
for escalated permissions with a justification, which makes the TUI ask "Would you like to
run the following command?"; under `Approval policy is currently never` (codex exec) it
does not ask, as codex instructs the model, and the command runs in the workspace sandbox.
"""

from __future__ import annotations

import itertools
import json
import shlex
from typing import Any

from aiohttp import web

from cockpit.modelservice.scenario import Turn, TurnUsage

API = "openai-responses"
ERROR_CODES = {
    400: "invalid_request_error",
    401: "invalid_api_key",
    403: "permission_denied",
    404: "not_found",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "server_error",
}
NEVER_APPROVE = "Approval policy is currently never"
TITLE_PROMPT = "Generate a concise, single-line task title"
_ids = itertools.count(1)


def add_routes(app: web.Application, service: Any) -> None:
    async def responses(request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        if body is None:
            return error_response(400, "the request body is not JSON")
        text = user_text(body)
        if not is_main(request, body):
            service.record(request, API, None, text, body)
            return await answer(
                request, body, Turn(kind="text", text="Scripted task", usage=TurnUsage(input_tokens=0, output_tokens=0))
            )
        index, turn = service.take_turn()
        service.record(request, API, index, text, body, exhausted=index is None)
        if turn.kind == "hang":
            await service.hold()
            return error_response(503, "the scripted model service stopped")
        if turn.kind == "error":
            return error_response(turn.status, turn.message or ERROR_CODES.get(turn.status, "error"))
        response = await answer(request, body, turn)
        service.finished_turn()
        return response

    app.router.add_post("/v1/responses", responses)
    app.router.add_post("/responses", responses)


async def _json(request: web.Request) -> dict[str, Any] | None:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def is_main(request: web.Request, body: dict[str, Any]) -> bool:
    """A conversation turn, not codex's title generation (or another side request)."""
    raw = request.headers.get("x-codex-turn-metadata")
    if raw:
        try:
            metadata = json.loads(raw)
        except json.JSONDecodeError:
            metadata = {}
        if isinstance(metadata, dict) and "turn_trigger" in metadata:
            return bool(metadata["turn_trigger"])
    if user_text(body).startswith(TITLE_PROMPT):
        return False
    return bool(body.get("tools"))


def error_response(status: int, message: str) -> web.Response:
    """OpenAI's error shape: {"error": {"message", "type", "code"}}."""
    code = ERROR_CODES.get(status, "error")
    kind = "invalid_request_error" if status < 500 else "server_error"
    return web.json_response(
        {"error": {"message": message, "type": kind, "param": None, "code": code}},
        status=status,
        headers={"x-request-id": f"req_scripted_{next(_ids)}"},
    )


def _texts(item: dict[str, Any]) -> list[str]:
    content = item.get("content")
    if isinstance(content, str):
        return [content]
    return [c.get("text", "") for c in content or [] if isinstance(c, dict) and c.get("type") in ("input_text", "text")]


def user_text(body: dict[str, Any]) -> str:
    """The newest user message's text; "" when the newest input item is a tool result
    (a follow-up request inside the same turn, which must not count as a new delivery)."""
    items = body.get("input")
    if isinstance(items, str):
        return items
    for item in reversed(items or []):
        if not isinstance(item, dict):
            continue
        if item.get("type", "message") != "message":
            return ""
        if item.get("role") != "user":
            continue
        texts = [t for t in _texts(item) if not t.lstrip().startswith("<environment_context>")]
        return "\n".join(texts)
    return ""


def approvals_possible(body: dict[str, Any]) -> bool:
    """False when codex told the model that no approval can be asked for (codex exec)."""
    for item in body.get("input") or []:
        if isinstance(item, dict) and item.get("role") == "developer":
            if any(NEVER_APPROVE in t for t in _texts(item)):
                return False
    instructions = body.get("instructions")
    return not (isinstance(instructions, str) and NEVER_APPROVE in instructions)


def write_command(path: str, content: str) -> str:
    return f"printf '%s' {shlex.quote(content)} > {shlex.quote(path)}"


def output_items(turn: Turn, body: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if turn.text:
        items.append(
            {
                "type": "message",
                "id": f"msg_scripted_{next(_ids):04d}",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": turn.text, "annotations": []}],
            }
        )
    if turn.kind in ("write_file", "shell"):
        command = write_command(turn.path, turn.content) if turn.kind == "write_file" else turn.command
        arguments: dict[str, Any] = {"cmd": command}
        if approvals_possible(body):
            what = f"create {turn.path}" if turn.kind == "write_file" else "run the scripted command"
            arguments |= {"sandbox_permissions": "require_escalated", "justification": f"Do you want to {what}?"}
        call = next(_ids)
        items.append(
            {
                "type": "function_call",
                "id": f"fc_scripted_{call:04d}",
                "call_id": f"call_scripted_{call:04d}",
                "name": "exec_command",
                "arguments": json.dumps(arguments),
                "status": "completed",
            }
        )
    return items


def usage_json(usage: TurnUsage) -> dict[str, Any]:
    """Responses usage: input_tokens includes the cached ones (a subset, as the real API reports)."""
    cached = usage.cache_read_input_tokens
    total_in = usage.input_tokens + cached
    return {
        "input_tokens": total_in,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": total_in + usage.output_tokens,
    }


async def answer(request: web.Request, body: dict[str, Any], turn: Turn) -> web.StreamResponse:
    items = output_items(turn, body)
    response_id = f"resp_scripted_{next(_ids):04d}"
    base = {"id": response_id, "object": "response", "model": body.get("model", "scripted")}
    final = dict(base, status="completed", output=items, usage=usage_json(turn.usage))
    if not body.get("stream"):
        return web.json_response(final)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    await _event(response, "response.created", {"response": dict(base, status="in_progress", output=[])})
    for index, item in enumerate(items):
        if item["type"] == "message":
            await _event(
                response,
                "response.output_item.added",
                {"output_index": index, "item": dict(item, status="in_progress", content=[])},
            )
            await _event(
                response,
                "response.output_text.delta",
                {"item_id": item["id"], "output_index": index, "content_index": 0, "delta": turn.text},
            )
        else:
            await _event(response, "response.output_item.added", {"output_index": index, "item": item})
        await _event(response, "response.output_item.done", {"output_index": index, "item": item})
    await _event(response, "response.completed", {"response": final})
    await response.write_eof()
    return response


async def _event(response: web.StreamResponse, name: str, data: dict[str, Any]) -> None:
    payload = json.dumps({"type": name, **data})
    await response.write(f"event: {name}\ndata: {payload}\n\n".encode())
