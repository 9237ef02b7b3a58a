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
from typing import TYPE_CHECKING, cast

from aiohttp import web

from cockpit.domain.json_value import JsonValue
from cockpit.modelservice.scenario import Turn, TurnUsage
from cockpit.modelservice.schema_openai_responses import (
    ErrorBody,
    ExecArguments,
    InputItem,
    OutputItem,
    Response,
    ResponsesRequest,
    StreamEvent,
    Usage,
)
from cockpit.modelservice.wire_common import Wire, auxiliary_turn, main_turn, open_stream, read_object, write_named_event

if TYPE_CHECKING:
    from cockpit.modelservice.server import ModelService

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


def add_routes(app: web.Application, service: ModelService) -> None:
    wire = Wire(API, error_response, ERROR_CODES, stopped_status=503)

    async def responses(request: web.Request) -> web.StreamResponse:
        raw = await read_object(request)
        if raw is None:
            return error_response(400, "the request body is not JSON")
        body = cast(ResponsesRequest, raw)  # the fields the wire reads; shapes still checked where read
        text = user_text(body)
        if not is_main(request, body):
            service.record(request, API, None, text, raw)
            return await answer(request, body, auxiliary_turn("Scripted task"))
        return await main_turn(service, wire, request, text, raw, lambda turn: answer(request, body, turn))

    app.router.add_post("/v1/responses", responses)
    app.router.add_post("/responses", responses)


def is_main(request: web.Request, body: ResponsesRequest) -> bool:
    """A conversation turn, not codex's title generation (or another side request)."""
    raw = request.headers.get("x-codex-turn-metadata")
    if raw:
        try:
            metadata: JsonValue = json.loads(raw)
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
    error: ErrorBody = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.json_response(error, status=status, headers={"x-request-id": f"req_scripted_{next(_ids)}"})


def _texts(item: InputItem) -> list[str]:
    content = item.get("content")
    if isinstance(content, str):
        return [content]
    return [c.get("text", "") for c in content or [] if isinstance(c, dict) and c.get("type") in ("input_text", "text")]


def user_text(body: ResponsesRequest) -> str:
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


def approvals_possible(body: ResponsesRequest) -> bool:
    """False when codex told the model that no approval can be asked for (codex exec)."""
    items = body.get("input")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("role") == "developer":
            if any(NEVER_APPROVE in t for t in _texts(item)):
                return False
    instructions = body.get("instructions")
    return not (isinstance(instructions, str) and NEVER_APPROVE in instructions)


def write_command(path: str, content: str) -> str:
    return f"printf '%s' {shlex.quote(content)} > {shlex.quote(path)}"


def output_items(turn: Turn, body: ResponsesRequest) -> list[OutputItem]:
    items: list[OutputItem] = []
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
        arguments: ExecArguments = {"cmd": command}
        if approvals_possible(body):
            what = f"create {turn.path}" if turn.kind == "write_file" else "run the scripted command"
            arguments["sandbox_permissions"] = "require_escalated"
            arguments["justification"] = f"Do you want to {what}?"
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


def usage_json(usage: TurnUsage) -> Usage:
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


async def answer(request: web.Request, body: ResponsesRequest, turn: Turn) -> web.StreamResponse:
    items = output_items(turn, body)
    response_id = f"resp_scripted_{next(_ids):04d}"
    model = body.get("model", "scripted")
    final: Response = {
        "id": response_id,
        "object": "response",
        "model": model,
        "status": "completed",
        "output": items,
        "usage": usage_json(turn.usage),
    }
    if not body.get("stream"):
        return web.json_response(final)
    response = await open_stream(request)
    for event in stream_events(final, turn.text):
        await write_named_event(response, event)
    await response.write_eof()
    return response


def stream_events(final: Response, text: str) -> list[StreamEvent]:
    """The SSE sequence codex reads for `final`: created, each item added (with the text as a
    delta) and done, completed."""
    started: Response = {"id": final["id"], "object": "response", "model": final["model"], "status": "in_progress", "output": []}
    events: list[StreamEvent] = [{"type": "response.created", "response": started}]
    for index, item in enumerate(final["output"]):
        if item["type"] == "message":
            added: OutputItem = {**item, "status": "in_progress", "content": []}
            events.append({"type": "response.output_item.added", "output_index": index, "item": added})
            events.append(
                {
                    "type": "response.output_text.delta",
                    "item_id": item["id"],
                    "output_index": index,
                    "content_index": 0,
                    "delta": text,
                }
            )
        else:
            events.append({"type": "response.output_item.added", "output_index": index, "item": item})
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    events.append({"type": "response.completed", "response": final})
    return events
