"""Read token usage and cost from an agent's machine-readable output, one line at a time.

Every parser is fed each output line as it arrives (terminal noise, ANSI escapes and
carriage returns are tolerated) and returns the cumulative Usage whenever a line
changed it. Cost is integer micro-USD, computed with Decimal and rounded half up.
docs/providers.md lists which fields each parser reads and which are unverified.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Protocol

from cockpit.domain.json_value import JsonObject, JsonValue
from cockpit.domain.provider import PriceTable, strip_ansi

MICRO = Decimal(1_000_000)
_MAX_BUFFERED_LINES = 5_000  # a pretty-printed JSON document longer than this is not a result
_MAX_BRACE_TRIES = 8


@dataclass
class Usage:
    """Totals so far. final: a result / turn-complete event was seen."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_micro_usd: int | None = None
    is_error: bool | None = None
    final: bool = False


class UsageParser(Protocol):
    def feed(self, line: str) -> Usage | None:
        """Take one output line; return the cumulative Usage if the line changed it."""


def usd_to_micro(value: object) -> int | None:
    """A USD amount (number or numeric string) as integer micro-USD, rounded half up."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0:
        return None
    return int((amount * MICRO).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def apply_prices(usage: Usage, prices: PriceTable | None) -> Usage:
    """Fill in the cost from the token counts when the output carried none.

    USD per million tokens times tokens, divided by a million, in micro-USD is just
    tokens times the price: no precision is lost before the single rounding.
    """
    if usage.cost_micro_usd is not None or prices is None:
        return usage
    micro = usage.input_tokens * prices.input_per_mtok_usd + usage.output_tokens * prices.output_per_mtok_usd
    return replace(usage, cost_micro_usd=int(micro.quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def _count(value: JsonValue) -> int:
    """A token count; anything that is not a non-negative integer counts as 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else 0


class JsonLines:
    """Find JSON objects in terminal output: one per line, or pretty-printed over many lines.

    A line may carry noise before and after the object: the text from a `{` to the last
    `}` is tried (from the first few `{`). A line that is just `{` starts a multi-line
    document (gemini's `-o json`), completed at a line starting with `}` that closes it.
    """

    def __init__(self) -> None:
        self._buffer: list[str] | None = None

    def feed(self, line: str) -> JsonObject | None:
        text = strip_ansi(line).rstrip("\n")
        if self._buffer is not None:
            stripped = text.strip()
            if len(stripped) > 1 and stripped[0] == "{" and stripped[-1] == "}":
                # A whole object on one line: pretty-printed documents never have one
                # (nested objects span lines, `{}` follows a key), so that "{" was noise.
                found = _loads_object(stripped)
                if found is not None:
                    self._buffer = None
                    return found
            self._buffer.append(text)
            if text.lstrip().startswith("}"):
                found = _loads_object("\n".join(self._buffer))
                if found is not None:
                    self._buffer = None
                    return found
            if len(self._buffer) > _MAX_BUFFERED_LINES:
                self._buffer = None
            return None
        stripped = text.strip()
        if stripped == "{":
            self._buffer = [stripped]
            return None
        return _object_in_line(text)


def _object_in_line(text: str) -> JsonObject | None:
    end = text.rfind("}")
    start = text.find("{")
    tries = 0
    while 0 <= start < end and tries < _MAX_BRACE_TRIES:
        found = _loads_object(text[start : end + 1])
        if found is not None:
            return found
        start = text.find("{", start + 1)
        tries += 1
    return None


def _loads_object(text: str) -> JsonObject | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


class _Parser:
    """Common part: JSON extraction, and returning a copy only when the totals changed."""

    def __init__(self) -> None:
        self._json = JsonLines()
        self._usage = Usage()

    def feed(self, line: str) -> Usage | None:
        event = self._json.feed(line)
        if event is None:
            return None
        before = replace(self._usage)
        self._take(event)
        return replace(self._usage) if self._usage != before else None

    def _take(self, event: JsonObject) -> None:
        raise NotImplementedError


class ClaudeParser(_Parser):
    """claude `-p --output-format stream-json|json` (and the fake agent): the `result` objects.

    Each `result` reports one turn (an interactive worker has one per prompt), so the
    totals add up over them: a later turn's figure never replaces the earlier ones. A result
    identical to the one before it is the same line seen again (a redraw), not a new turn.

    input_tokens counts all input, cached or not (input + cache_creation + cache_read), so
    every parser means the same by it. is_error comes from `is_error`: claude can say
    subtype "success" with is_error true.
    """

    _last_result: JsonObject | None = None

    def _take(self, event: JsonObject) -> None:
        if event.get("type") != "result" or event == self._last_result:
            return
        self._last_result = event
        usage = found if isinstance(found := event.get("usage"), dict) else {}
        self._usage.input_tokens += sum(
            _count(usage.get(k)) for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        )
        self._usage.output_tokens += _count(usage.get("output_tokens"))
        cost = usd_to_micro(event.get("total_cost_usd"))
        if cost is not None:
            self._usage.cost_micro_usd = (self._usage.cost_micro_usd or 0) + cost
        if isinstance(is_error := event.get("is_error"), bool):
            self._usage.is_error = is_error
        self._usage.final = True


class CodexParser(_Parser):
    """codex `exec --json` JSONL: sums `turn.completed` usage over turns (verified with 0.169 offline).

    input_tokens already includes cached_input_tokens (a subset), so that is not added.
    `turn.failed` marks an error; other events (`error` retries included) are ignored.
    """

    def _take(self, event: JsonObject) -> None:
        kind = event.get("type")
        if kind == "turn.completed":
            usage = found if isinstance(found := event.get("usage"), dict) else {}
            self._usage.input_tokens += _count(usage.get("input_tokens"))
            self._usage.output_tokens += _count(usage.get("output_tokens"))
            if self._usage.is_error is None:
                self._usage.is_error = False
            self._usage.final = True
        elif kind == "turn.failed":
            self._usage.is_error = True
            self._usage.final = True


class GeminiParser(_Parser):
    """gemini `-o json` ({response, stats, error?}) and `-o stream-json` (`result` event).

    0.61 reports flat `stats.{input_tokens, output_tokens}` (verified offline); older shapes with
    per-model `stats.models.<m>.tokens.{prompt, candidates, thoughts}` are still read. Thinking tokens are billed as output, so they are added.
    The error object of a failed `-o json` run ({session_id, error}) arrives on stderr.
    """

    def _take(self, event: JsonObject) -> None:
        kind = event.get("type")
        if kind is not None and kind != "result":
            return  # stream-json init/message/tool events, and non-fatal "error" events
        has_error = isinstance(event.get("error"), dict)
        is_document = kind == "result" or "response" in event or "stats" in event or (has_error and "session_id" in event)
        if not is_document:
            return
        stats = event.get("stats")
        if isinstance(stats, dict):
            self._usage.input_tokens, self._usage.output_tokens = _gemini_tokens(stats)
        status = event.get("status")
        self._usage.is_error = has_error or (isinstance(status, str) and status != "success")
        self._usage.final = True


def _gemini_tokens(stats: JsonObject) -> tuple[int, int]:
    # 0.61 (observed against the scripted service): flat stats.{input_tokens, output_tokens}
    # summed over models, and the same keys per model without a "tokens" object.
    if "input_tokens" in stats or "inputTokens" in stats:
        return (
            _count(stats.get("input_tokens", stats.get("inputTokens"))),
            _count(stats.get("output_tokens", stats.get("outputTokens"))),
        )
    models = stats.get("models")
    total_in = total_out = 0
    for model in (models or {}).values() if isinstance(models, dict) else ():
        if not isinstance(model, dict):
            continue
        tokens = found if isinstance(found := model.get("tokens"), dict) else model
        total_in += _count(tokens.get("prompt", tokens.get("input_tokens", tokens.get("input"))))
        total_out += _count(tokens.get("candidates", tokens.get("output_tokens", tokens.get("output")))) + _count(
            tokens.get("thoughts")
        )
    return total_in, total_out


class OpencodeParser(_Parser):
    """opencode `run --format json`: sums `step_finish` tokens over steps (one per model request).

    part.tokens = {input, output, reasoning, cache: {read, write}}; input excludes the
    cache, so input_tokens adds both cache figures; reasoning is billed as output.
    part.cost is USD; a total of 0 means opencode knew no price (the catalog's apply).
    An `error` event (e.g. APIError) marks the run failed; a step that ends with reason
    "stop" marks it final (verified with 1.18.33: tests/providers/outputs/opencode-*).
    """

    def __init__(self) -> None:
        super().__init__()
        self._cost = Decimal(0)

    def _take(self, event: JsonObject) -> None:
        kind = event.get("type")
        part = found if isinstance(found := event.get("part"), dict) else {}
        if kind == "step_finish":
            tokens = found if isinstance(found := part.get("tokens"), dict) else {}
            cache = found if isinstance(found := tokens.get("cache"), dict) else {}
            self._usage.input_tokens += _count(tokens.get("input")) + _count(cache.get("read")) + _count(cache.get("write"))
            self._usage.output_tokens += _count(tokens.get("output")) + _count(tokens.get("reasoning"))
            cost = usd_to_micro(part.get("cost"))
            if cost:
                self._cost += cost
                self._usage.cost_micro_usd = int(self._cost)
            if part.get("reason") == "stop":
                if self._usage.is_error is None:
                    self._usage.is_error = False
                self._usage.final = True
        elif kind == "error":
            self._usage.is_error = True
            self._usage.final = True


_AIDER_TOKENS_RE = re.compile(
    r"Tokens: (?P<sent>[\d.]+k?) sent(?:, [\d.]+k? cache write)?(?:, [\d.]+k? cache hit)?, (?P<received>[\d.]+k?) received\."
)
_AIDER_COST_RE = re.compile(r"Cost: \$[\d.]+ message, \$(?P<session>[\d.]+) session\.")


def _aider_count(text: str) -> int:
    """aider prints counts of 1000 and more as "1.2k" or "12k": those are rounded by aider."""
    if text.endswith("k"):
        return int(Decimal(text[:-1]) * 1000)
    return int(text)


class AiderParser:
    """aider's text report after each model answer (it has no machine-readable output):
    `Tokens: 321 sent, 54 received. Cost: $0.0018 message, $0.0018 session.`

    Token lines are summed (one per model request); "sent" already counts cache hits.
    Counts from 1000 up are rounded by aider ("1.2k"). The cost is aider's running
    session total, printed to 2 significant digits below $0.01; with --no-stream the
    counts are the server's, while streaming aider estimates them with a tokenizer.
    """

    def __init__(self) -> None:
        self._usage = Usage()

    def feed(self, line: str) -> Usage | None:
        text = strip_ansi(line)
        tokens = _AIDER_TOKENS_RE.search(text)
        cost = _AIDER_COST_RE.search(text)
        if tokens is None and cost is None:
            return None
        if tokens is not None:
            self._usage.input_tokens += _aider_count(tokens["sent"])
            self._usage.output_tokens += _aider_count(tokens["received"])
        if cost is not None:
            self._usage.cost_micro_usd = usd_to_micro(cost["session"])
        return replace(self._usage)


class NullParser:
    """For agents whose output says nothing about usage."""

    def feed(self, line: str) -> Usage | None:
        return None


_PARSERS: dict[str, type[_Parser] | type[AiderParser] | type[NullParser]] = {
    "claude": ClaudeParser,
    "fake": ClaudeParser,  # the fake agent prints a claude-shaped result line
    "codex": CodexParser,
    "gemini": GeminiParser,
    "opencode": OpencodeParser,
    "aider": AiderParser,
    "none": NullParser,
}


def parser_for(name: str) -> UsageParser:
    """A fresh parser (parsers keep state: use one per worker run)."""
    try:
        return _PARSERS[name]()
    except KeyError:
        raise ValueError(f"no usage parser called {name!r}; known: {', '.join(sorted(_PARSERS))}") from None
