"""The outcome of one prompt and the final JSON line that reports it.

The line is shaped like the `result` event of claude's stream-json output, so the
code that reads a real agent's result reads the fake one's the same way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypedDict

SUCCESS = "success"
ERROR_DURING_EXECUTION = "error_during_execution"


@dataclass
class UsageTotals:
    """Token usage and cost summed over every `@fake usage` of one prompt."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = field(default_factory=Decimal)

    def add(self, input_tokens: int, output_tokens: int, cost_usd: Decimal) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.cost_usd += cost_usd


@dataclass(frozen=True)
class Outcome:
    """How one prompt ended.

    `ends_session` says the program must exit (an `@fake exit`, a declined
    question, a failure); `reported` is False when no result line was printed
    (the prompt was rejected before anything ran).
    """

    exit_code: int
    result: str
    usage: UsageTotals
    ends_session: bool
    reported: bool = True

    @property
    def is_error(self) -> bool:
        return self.exit_code != 0


class ResultUsage(TypedDict):
    input_tokens: int
    output_tokens: int


class ResultEvent(TypedDict):
    """The last line of a headless run, shaped like claude's `result` event."""

    type: str
    subtype: str
    is_error: bool
    duration_ms: int
    num_turns: int
    result: str
    session_id: str
    total_cost_usd: float
    usage: ResultUsage
    exit_code: int
    prompt_sha256: str


def prompt_sha256(prompt: bytes) -> str:
    return hashlib.sha256(prompt).hexdigest()


def result_event(outcome: Outcome, *, duration_ms: int, session_id: str, prompt_digest: str) -> ResultEvent:
    return {
        "type": "result",
        "subtype": ERROR_DURING_EXECUTION if outcome.is_error else SUCCESS,
        "is_error": outcome.is_error,
        "duration_ms": duration_ms,
        "num_turns": 1,
        "result": outcome.result,
        "session_id": session_id,
        "total_cost_usd": float(outcome.usage.cost_usd),
        "usage": {"input_tokens": outcome.usage.input_tokens, "output_tokens": outcome.usage.output_tokens},
        "exit_code": outcome.exit_code,
        "prompt_sha256": prompt_digest,
    }


def result_line(outcome: Outcome, *, duration_ms: int, session_id: str, prompt_digest: str) -> str:
    """One compact, pure-ASCII JSON line (no newline): safe in any terminal or log."""
    event = result_event(outcome, duration_ms=duration_ms, session_id=session_id, prompt_digest=prompt_digest)
    return json.dumps(event, separators=(",", ":"), ensure_ascii=True)
