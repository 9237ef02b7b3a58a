"""The `@fake` directive language: parse and validate a whole prompt (pure, no I/O).

A prompt is validated completely before anything runs, so a typo on line 9 never
leaves the effects of lines 1-8 behind.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath

# Only these three count as line breaks: str.splitlines() would also split on
# U+2028, form feed and friends, which belong inside a hostile TEXT untouched.
LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DIRECTIVE_START = re.compile(r"\s*@fake(?=\s|$)")
_WORD_AND_REST = re.compile(r"(\S+)(?:\s(.*))?", re.DOTALL)
_UNSIGNED_INT = re.compile(r"[0-9]+")
_UNSIGNED_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")

MAX_EXIT_CODE = 255


class DirectiveError(ValueError):
    """A prompt line that is not a valid directive; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass(frozen=True)
class Say:
    line: int
    text: str


@dataclass(frozen=True)
class Lines:
    line: int
    count: int
    rate: float | None  # lines per second; None means as fast as possible


@dataclass(frozen=True)
class Write:
    line: int
    path: str
    text: str  # already unescaped: backslash-n became a newline
    append: bool


@dataclass(frozen=True)
class Delete:
    line: int
    path: str


@dataclass(frozen=True)
class Commit:
    line: int
    message: str
    only_in_git: bool = False  # outside a git repository: say so and go on (plain prompts)


@dataclass(frozen=True)
class Ask:
    line: int
    question: str


@dataclass(frozen=True)
class Sleep:
    line: int
    seconds: float


@dataclass(frozen=True)
class Hang:
    line: int


@dataclass(frozen=True)
class ReportUsage:
    line: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal


@dataclass(frozen=True)
class Hook:
    """Run the CLI-style hook `sh "$COCKPIT_SIGNAL_HOOK" EVENT` with PAYLOAD (JSON) on stdin,
    as claude runs its hooks: the structured-signal path without a real CLI."""

    line: int
    event: str
    payload: str  # a JSON object, as written


@dataclass(frozen=True)
class Exit:
    line: int
    code: int


@dataclass(frozen=True)
class Review:
    """Answer a review gate: a verdict JSON whose findings point into the diff in the prompt."""

    line: int
    answer: str  # approve | reject


Directive = Say | Lines | Write | Delete | Commit | Ask | Sleep | Hang | ReportUsage | Hook | Exit | Review

VERBS = ("say", "lines", "write", "append", "delete", "commit", "ask", "sleep", "hang", "usage", "hook", "exit", "review")


def split_lines(prompt: str) -> list[str]:
    """The prompt's lines, split on CRLF, CR or LF only."""
    return LINE_BREAK.split(prompt)


def parse_prompt(prompt: str) -> list[Directive]:
    """Every directive of the prompt, in order; raises DirectiveError on the first bad line."""
    directives: list[Directive] = []
    for number, line in enumerate(split_lines(prompt), start=1):
        start = _DIRECTIVE_START.match(line)
        if start is None:
            continue  # ordinary prose: ignored, like a model would skim it
        directives.append(_parse_directive(number, line[start.end() :].lstrip()))
    return directives


def _parse_directive(number: int, body: str) -> Directive:
    match = _WORD_AND_REST.fullmatch(body)
    if match is None:
        raise DirectiveError(number, f"'@fake' needs a directive, one of: {', '.join(VERBS)}")
    verb, rest = match.group(1), match.group(2) or ""
    if verb not in VERBS:
        raise DirectiveError(number, f"unknown directive '@fake {verb}'; known: {', '.join(VERBS)}")
    if verb == "say":
        return Say(number, rest)
    if verb in ("write", "append"):
        return _parse_write(number, verb, rest)
    if verb == "commit":
        return Commit(number, _required_text(number, verb, "MESSAGE", rest))
    if verb == "ask":
        return Ask(number, _required_text(number, verb, "QUESTION", rest))
    if verb == "hook":
        return _parse_hook(number, rest)
    return _parse_words(number, verb, rest.split())


def _parse_words(number: int, verb: str, words: list[str]) -> Directive:
    """Directives whose arguments are whitespace-separated words."""
    if verb == "lines":
        _arity(number, "lines N [RATE]", words, 1, 2)
        count = _int(number, "lines", "N", words[0])
        rate = _decimal(number, "lines", "RATE", words[1]) if len(words) == 2 else None
        if rate is not None and rate <= 0:
            raise DirectiveError(number, f"@fake lines: RATE must be above 0 lines/s, got '{words[1]}'")
        return Lines(number, count, float(rate) if rate is not None else None)
    if verb == "delete":
        _arity(number, "delete PATH", words, 1, 1)
        return Delete(number, _checked_path(number, "delete", words[0]))
    if verb == "sleep":
        _arity(number, "sleep SECONDS", words, 1, 1)
        return Sleep(number, float(_decimal(number, "sleep", "SECONDS", words[0])))
    if verb == "hang":
        _arity(number, "hang", words, 0, 0)
        return Hang(number)
    if verb == "review":
        _arity(number, "review [approve|reject]", words, 0, 1)
        answer = words[0] if words else "approve"
        if answer not in ("approve", "reject"):
            raise DirectiveError(number, f"@fake review: expected approve or reject, got '{answer}'")
        return Review(number, answer)
    if verb == "usage":
        _arity(number, "usage IN OUT USD", words, 3, 3)
        return ReportUsage(
            number,
            _int(number, "usage", "IN", words[0]),
            _int(number, "usage", "OUT", words[1]),
            _decimal(number, "usage", "USD", words[2]),
        )
    _arity(number, "exit CODE", words, 1, 1)  # only "exit" is left
    code = _int(number, "exit", "CODE", words[0])
    if code > MAX_EXIT_CODE:
        raise DirectiveError(number, f"@fake exit: CODE must be 0..{MAX_EXIT_CODE}, got {code}")
    return Exit(number, code)


def _parse_hook(number: int, rest: str) -> Hook:
    event, _, payload = _required_text(number, "hook", "EVENT", rest).partition(" ")
    payload = payload.strip() or "{}"
    try:
        parsed = json.loads(payload)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or "\n" in payload:
        raise DirectiveError(number, f"@fake hook: PAYLOAD must be a JSON object on one line, got '{payload}'")
    return Hook(number, event, payload)


def _parse_write(number: int, verb: str, rest: str) -> Write:
    match = _WORD_AND_REST.fullmatch(rest)
    if match is None:
        raise DirectiveError(number, f"@fake {verb} needs PATH and TEXT: '@fake {verb} PATH TEXT'")
    path = _checked_path(number, verb, match.group(1))
    return Write(number, path, (match.group(2) or "").replace("\\n", "\n"), append=verb == "append")


def _checked_path(number: int, verb: str, raw: str) -> str:
    """A relative path that stays inside the working directory (checked lexically here)."""
    path = PurePosixPath(raw)
    if path.is_absolute():
        raise DirectiveError(number, f"@fake {verb}: PATH must be relative to the working directory, got '{raw}'")
    if ".." in path.parts:
        raise DirectiveError(number, f"@fake {verb}: PATH must not leave the working directory ('..'), got '{raw}'")
    if not path.parts:
        raise DirectiveError(number, f"@fake {verb}: PATH must name a file, got '{raw}'")
    return str(path)


def _required_text(number: int, verb: str, name: str, rest: str) -> str:
    text = rest.strip()
    if not text:
        raise DirectiveError(number, f"@fake {verb} needs a {name}: '@fake {verb} {name}'")
    return text


def _arity(number: int, usage: str, words: list[str], low: int, high: int) -> None:
    if not low <= len(words) <= high:
        got = " ".join(words) or "nothing"
        raise DirectiveError(number, f"expected '@fake {usage}', got '{got}'")


def _int(number: int, verb: str, name: str, word: str) -> int:
    if _UNSIGNED_INT.fullmatch(word) is None:
        raise DirectiveError(number, f"@fake {verb}: {name} must be a whole number >= 0, got '{word}'")
    return int(word)


def _decimal(number: int, verb: str, name: str, word: str) -> Decimal:
    if _UNSIGNED_DECIMAL.fullmatch(word) is None:
        raise DirectiveError(number, f"@fake {verb}: {name} must be a decimal number >= 0, got '{word}'")
    try:
        value = Decimal(word)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise DirectiveError(number, f"@fake {verb}: {name} is not a number: '{word}'") from None
    if not math.isfinite(float(value)):
        raise DirectiveError(number, f"@fake {verb}: {name} is too large: '{word}'")
    return value
