"""The Anthropic Messages API's JSON, as far as the scripted service reads and writes it.

Requests are typed with the fields the wire reads (total=False: a client may leave any out;
the wire still checks shapes where a client could differ). Answers are typed exactly as
sent, in the field order the real API uses.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from cockpit.domain.json_value import JsonObject

# -- what a request carries ---------------------------------------------------------------


class InBlock(TypedDict, total=False):
    type: str
    text: str


class InMessage(TypedDict, total=False):
    role: str
    content: str | list[InBlock]


class MessagesRequest(TypedDict, total=False):
    model: str
    stream: bool
    tools: list[JsonObject]  # only whether there are any matters
    system: str | list[InBlock]
    messages: list[InMessage]


# -- what an answer carries ---------------------------------------------------------------


class TextBlock(TypedDict):
    type: Literal["text"]
    text: str


class ToolUseBlock(TypedDict):
    type: Literal["tool_use"]
    id: str
    name: str  # claude's own tools: Write, Bash
    input: JsonObject


ContentBlock = TextBlock | ToolUseBlock


class Usage(TypedDict):
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int
    cache_creation_input_tokens: int


class Message(TypedDict):
    id: str
    type: Literal["message"]
    role: Literal["assistant"]
    model: str
    content: list[ContentBlock]
    stop_reason: str | None
    stop_sequence: None
    usage: Usage


class TokenCount(TypedDict):
    input_tokens: int


class ErrorDetail(TypedDict):
    type: str
    message: str


class ErrorBody(TypedDict):
    type: Literal["error"]
    error: ErrorDetail


# -- the streamed events (SSE, each named by its type) ------------------------------------


class MessageStart(TypedDict):
    type: Literal["message_start"]
    message: Message


class ContentBlockStart(TypedDict):
    type: Literal["content_block_start"]
    index: int
    content_block: ContentBlock


class TextDelta(TypedDict):
    type: Literal["text_delta"]
    text: str


class InputJsonDelta(TypedDict):
    type: Literal["input_json_delta"]
    partial_json: str


class ContentBlockDelta(TypedDict):
    type: Literal["content_block_delta"]
    index: int
    delta: TextDelta | InputJsonDelta


class ContentBlockStop(TypedDict):
    type: Literal["content_block_stop"]
    index: int


class StopDelta(TypedDict):
    stop_reason: str
    stop_sequence: None


class OutputUsage(TypedDict):
    output_tokens: int


class MessageDelta(TypedDict):
    type: Literal["message_delta"]
    delta: StopDelta
    usage: OutputUsage


class MessageStop(TypedDict):
    type: Literal["message_stop"]


StreamEvent = MessageStart | ContentBlockStart | ContentBlockDelta | ContentBlockStop | MessageDelta | MessageStop
