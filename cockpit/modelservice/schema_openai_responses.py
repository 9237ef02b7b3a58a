"""OpenAI Responses API JSON (what codex speaks), as far as the scripted service reads and writes it.

Requests are typed with the fields the wire reads (total=False: a client may leave any out;
the wire still checks shapes where clients differ). Answers are typed exactly as sent.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from cockpit.domain.json_value import JsonObject, JsonValue

# -- what a request carries ---------------------------------------------------------------


class InputPart(TypedDict, total=False):
    type: str  # input_text, text, input_image...
    text: str


class InputItem(TypedDict, total=False):
    type: str  # message (the default), function_call_output, ...
    role: str
    content: str | list[InputPart]


class ResponsesRequest(TypedDict, total=False):
    model: str
    stream: bool
    instructions: str
    tools: list[JsonObject]  # only whether there are any matters
    input: str | list[InputItem]


# -- what an answer carries ---------------------------------------------------------------


class OutputText(TypedDict):
    type: Literal["output_text"]
    text: str
    annotations: list[JsonValue]


class MessageItem(TypedDict):
    type: Literal["message"]
    id: str
    role: Literal["assistant"]
    status: str
    content: list[OutputText]


class FunctionCallItem(TypedDict):
    type: Literal["function_call"]
    id: str
    call_id: str
    name: str  # codex's own exec_command
    arguments: str  # JSON text of ExecArguments
    status: str


OutputItem = MessageItem | FunctionCallItem


class ExecArguments(TypedDict):
    cmd: str
    sandbox_permissions: NotRequired[str]  # "require_escalated": codex asks before running
    justification: NotRequired[str]


class InputDetails(TypedDict):
    cached_tokens: int


class OutputDetails(TypedDict):
    reasoning_tokens: int


class Usage(TypedDict):
    input_tokens: int  # cached included
    input_tokens_details: InputDetails
    output_tokens: int
    output_tokens_details: OutputDetails
    total_tokens: int


class Response(TypedDict):
    id: str
    object: Literal["response"]
    model: str
    status: str
    output: list[OutputItem]
    usage: NotRequired[Usage]  # once completed


class ErrorDetail(TypedDict):
    message: str
    type: str
    param: None
    code: str


class ErrorBody(TypedDict):
    error: ErrorDetail


# -- the streamed events (SSE, each named by its type) ------------------------------------


class ResponseCreated(TypedDict):
    type: Literal["response.created"]
    response: Response


class OutputItemAdded(TypedDict):
    type: Literal["response.output_item.added"]
    output_index: int
    item: OutputItem


class OutputTextDelta(TypedDict):
    type: Literal["response.output_text.delta"]
    item_id: str
    output_index: int
    content_index: int
    delta: str


class OutputItemDone(TypedDict):
    type: Literal["response.output_item.done"]
    output_index: int
    item: OutputItem


class ResponseCompleted(TypedDict):
    type: Literal["response.completed"]
    response: Response


StreamEvent = ResponseCreated | OutputItemAdded | OutputTextDelta | OutputItemDone | ResponseCompleted
