"""The Gemini API's JSON (generateContent), as far as the scripted service reads and writes it.

Requests are typed with the fields the wire reads (total=False: a client may leave any out;
the wire still checks shapes where clients differ). Answers are typed exactly as sent.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from cockpit.domain.json_value import JsonObject, JsonValue

# -- what a request carries ---------------------------------------------------------------


class InPart(TypedDict, total=False):
    text: str
    functionResponse: JsonObject  # present: a tool result, not the user's words


class Content(TypedDict, total=False):
    role: str  # user (the default) or model
    parts: list[InPart]


class Tool(TypedDict, total=False):
    functionDeclarations: list[JsonObject]


class GenerationConfig(TypedDict, total=False):
    responseJsonSchema: JsonValue  # a JSON schema: the answer must be an object of that shape
    responseSchema: JsonValue
    responseMimeType: str


class GenerateContentRequest(TypedDict, total=False):
    contents: list[Content]
    tools: list[Tool]
    generationConfig: GenerationConfig


# -- what an answer carries ---------------------------------------------------------------


class TextPart(TypedDict):
    text: str


class FunctionCall(TypedDict):
    name: str  # gemini's own tools: write_file, run_shell_command
    args: JsonObject


class FunctionCallPart(TypedDict):
    functionCall: FunctionCall


class ModelContent(TypedDict):
    role: Literal["model"]
    parts: list[TextPart | FunctionCallPart]


class Candidate(TypedDict):
    content: ModelContent
    finishReason: str
    index: int


class UsageMetadata(TypedDict):
    promptTokenCount: int  # cached included
    candidatesTokenCount: int
    totalTokenCount: int
    cachedContentTokenCount: NotRequired[int]


class GenerateContentResponse(TypedDict):
    candidates: list[Candidate]
    usageMetadata: UsageMetadata
    modelVersion: str


class TokenCount(TypedDict):
    totalTokens: int


class ErrorDetail(TypedDict):
    code: int
    message: str
    status: str


class ErrorBody(TypedDict):
    error: ErrorDetail
