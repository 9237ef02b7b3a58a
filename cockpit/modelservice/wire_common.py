"""What every wire module shares: reading the JSON body, writing server-sent events, and
one main request's way through the scenario (take a turn; hang, error status or answer).

The wire modules differ in their JSON; this is the part that was the same four times.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from cockpit.domain.json_value import JsonObject, JsonValue
from cockpit.modelservice.scenario import Turn, TurnUsage

if TYPE_CHECKING:
    from cockpit.modelservice.server import ModelService

# What an auxiliary request (title, summary, quota probe) reports: nothing a test counts.
NO_USAGE = TurnUsage(input_tokens=0, output_tokens=0)
STOPPED = "the scripted model service stopped"


def auxiliary_turn(text: str) -> Turn:
    return Turn(kind="text", text=text, usage=NO_USAGE)


async def read_object(request: web.Request) -> JsonObject | None:
    """The request's JSON body when it is an object; None when it is not JSON or not an object."""
    try:
        data: JsonValue = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


async def open_stream(request: web.Request, headers: Mapping[str, str] | None = None) -> web.StreamResponse:
    """A prepared `text/event-stream` response."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **(headers or {})})
    await response.prepare(request)
    return response


async def write_named_event(response: web.StreamResponse, event: Mapping[str, object]) -> None:
    """An SSE event named by its `type` (the Anthropic and Responses streams)."""
    await response.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())


@dataclass(frozen=True)
class Wire:
    """How one API family reports the outcomes every main request can have."""

    api: str  # the name requests are recorded under
    error_response: Callable[[int, str], web.Response]
    error_names: Mapping[int, str]  # the message of an error turn that has none
    stopped_status: int  # the status a held (`hang`) request gets when the service stops


async def main_turn(
    service: ModelService,
    wire: Wire,
    request: web.Request,
    user_text: str,
    body: JsonObject,
    answer: Callable[[Turn], Awaitable[web.StreamResponse]],
) -> web.StreamResponse:
    """Answer a main conversation request with the scenario's next turn, and log it."""
    index, turn = service.take_turn()
    service.record(request, wire.api, index, user_text, body, exhausted=index is None)
    if turn.kind == "hang":
        await service.hold()
        return wire.error_response(wire.stopped_status, STOPPED)
    if turn.kind == "error":
        return wire.error_response(turn.status, turn.message or wire.error_names.get(turn.status, "error"))
    response = await answer(turn)
    service.finished_turn()
    return response
