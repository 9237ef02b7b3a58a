"""OpenAI Chat Completions JSON, as far as the scripted service reads and writes it.

Requests are typed with the fields the wire reads (total=False: a client may leave any out;
the wire still checks shapes where clients differ). Answers are typed exactly as sent.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

# -- what a request carries ---------------------------------------------------------------


class ContentPart(TypedDict, total=False):
    type: str
    text: str


class ChatMessage(TypedDict, total=False):
    role: str  # system, developer, user, assistant, tool
    content: str | list[ContentPart] | None


class FunctionSpec(TypedDict, total=False):
    name: str


class ToolSpec(TypedDict, total=False):
    type: str
    function: FunctionSpec


class ChatRequest(TypedDict, total=False):
    model: str
    stream: bool
    tools: list[ToolSpec]
    messages: list[ChatMessage]


# -- what an answer carries ---------------------------------------------------------------


class FunctionCall(TypedDict):
    name: str
    arguments: str  # JSON text


class ToolCall(TypedDict):
    id: str
    type: Literal["function"]
    function: FunctionCall


class AssistantMessage(TypedDict):
    role: Literal["assistant"]
    content: str | None
    tool_calls: NotRequired[list[ToolCall]]


class Choice(TypedDict):
    index: int
    message: AssistantMessage
    finish_reason: str


class PromptDetails(TypedDict):
    cached_tokens: int


class Usage(TypedDict):
    prompt_tokens: int  # all input, cached included
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptDetails


class Completion(TypedDict):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Usage


class FunctionDelta(TypedDict):
    name: NotRequired[str]
    arguments: str


class ToolCallDelta(TypedDict):
    index: int
    id: NotRequired[str]
    type: NotRequired[Literal["function"]]
    function: FunctionDelta


class Delta(TypedDict, total=False):
    role: Literal["assistant"]
    content: str
    tool_calls: list[ToolCallDelta]


class ChunkChoice(TypedDict):
    index: int
    delta: Delta
    finish_reason: str | None


class Chunk(TypedDict):
    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: NotRequired[Usage]  # only on the last chunk, which has no choices


class ModelEntry(TypedDict):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(TypedDict):
    object: Literal["list"]
    data: list[ModelEntry]


class ErrorDetail(TypedDict):
    message: str
    type: str
    param: None
    code: str | None


class ErrorBody(TypedDict):
    error: ErrorDetail
