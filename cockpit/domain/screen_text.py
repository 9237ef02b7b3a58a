"""Reading a CLI's output for people: its last error line, and the question on a waiting screen.

Pure functions over text (the caller reads the log or captures the screen). Both strip
what is decoration, not information: escape sequences, and the box-drawing borders
agent TUIs draw around prompts (a gemini waiting excerpt used to be just `│`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from cockpit.domain.provider import strip_ansi
from cockpit.domain.secrets import mask_text

# Box drawing (U+2500-257F), block elements (U+2580-259F) and the rounded/heavy corners
# TUIs use; plus the ASCII frames some draw with.
_BORDER_CHARS = "".join(chr(c) for c in range(0x2500, 0x25A0)) + "|"
_BORDER_EDGES = re.compile(rf"^[\s{re.escape(_BORDER_CHARS)}]+|[\s{re.escape(_BORDER_CHARS)}]+$")
_ONLY_DECORATION = re.compile(rf"^[\s{re.escape(_BORDER_CHARS)}\-=_~.·•*>]*$")
_SPACES = re.compile(r"\s{2,}")
# A listed choice: "● 1. Yes", "2) No", "[y] yes", "(n) no".
_CHOICE = re.compile(r"^(?:[●○❯›>*]\s*)?(?:\d+[.)]|\[[a-zA-Z]\]|\([a-zA-Z]\))\s")

# Words that make a line an error report. Deliberately about failures, not about code
# ("error handling" in a model's prose is a risk we accept: the LAST such line wins,
# and a CLI's own failure is what it prints last).
ERRORISH = re.compile(
    r"\b(?:error|errors|failed|failure|fatal|denied|unauthori[sz]ed|forbidden|invalid|exception|panic|"
    r"refused|timed out|timeout|quota|rate.?limit(?:ed)?|overloaded|not logged in|not authenticated|"
    r"log ?in required|please (?:run|log ?in|login|sign in)|cannot|can't|could not|unable to|not found|"
    r"no such|reconnecting|401|403|404|429|500|502|503|529)\b"
    r"|\b\w+(?:Error|Exception):",  # an exception class as Python prints it (aider: AuthenticationError:)
    re.IGNORECASE,
)
ERROR_LINE_LIMIT = 300
_JSON_MESSAGE_KEYS = ("error", "message", "result", "detail", "reason")


def clean_line(line: str) -> str:
    """A screen or log line without escapes, borders around it, or runs of blanks."""
    text = strip_ansi(line)
    text = _BORDER_EDGES.sub("", text)
    return _SPACES.sub(" ", text).strip()


def informative(line: str) -> bool:
    return bool(line) and not _ONLY_DECORATION.match(line)


def _json_error(event: object) -> str | None:
    """The message of a JSON event that reports an error; None for any other event.

    A structured error (an `error` field, or type "error") always counts; a result that is
    merely flagged is_error counts only when its message holds an error word (a bare
    "exit 3" says less than the line the CLI printed before it).
    """
    if not isinstance(event, dict):
        return None
    kind = str(event.get("type") or "")
    structured = "error" in event or kind.lower() == "error"
    flagged = event.get("is_error") is True or "error" in kind.lower() or "error" in str(event.get("subtype", ""))
    if not (structured or flagged):
        return None
    for key in _JSON_MESSAGE_KEYS:
        value = event.get(key)
        if isinstance(value, dict):  # {"error": {"message": "..."}}; opencode: {"error": {"name", "data": {"message"}}}
            data = value.get("data")
            value = (
                value.get("message")
                or (data.get("message") if isinstance(data, dict) else None)
                or value.get("type")
                or value.get("name")
            )
        if isinstance(value, str) and value.strip():
            message = clean_line(value.strip().splitlines()[0])
            if structured or ERRORISH.search(message):
                return message
    return None


def _trailing_json(lines: list[str]) -> object | None:
    """A pretty-printed JSON object at the very end (gemini -o json prints its errors so)."""
    tail = [i for i, line in enumerate(lines) if line.strip()]
    if not tail or lines[tail[-1]].strip() != "}":
        return None
    end = tail[-1]
    for start in range(end, max(-1, end - 200), -1):
        if lines[start].strip().startswith("{"):
            try:
                return json.loads("\n".join(lines[start : end + 1]))
            except ValueError:
                continue
    return None


def _clip(text: str, limit: int) -> str:
    text = mask_text(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def last_error_line(text: str, limit: int = ERROR_LINE_LIMIT) -> str | None:
    """The last non-empty line that reports an error, cleaned and with secrets masked.

    JSON events count only when they report an error (see _json_error), and then their
    message is taken, not the JSON. Other lines count when they hold an error word (ERRORISH).
    """
    lines = strip_ansi(text).splitlines()
    if (message := _json_error(_trailing_json(lines))) is not None:
        return _clip(message, limit)
    for raw in reversed(lines):
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith("{") and stripped.endswith("}"):
            try:
                found = _json_error(json.loads(stripped)) or ""
            except ValueError:
                found = ""
        else:
            found = clean_line(stripped)
            if not informative(found) or not ERRORISH.search(found):
                continue
        if found:
            return _clip(found, limit)
    return None


def waiting_excerpt(screen: str, waiting_patterns: Iterable[re.Pattern[str]] = (), *, lines: int = 4, limit: int = 240) -> str:
    """What a waiting worker is asking, for `cockpit status` and the TUI.

    Borders and blank or decoration-only lines are dropped. When a waiting pattern
    matches, the excerpt starts at the line of its last match (the question) and follows it with
    the numbered choices after it (or, without any, the next lines); otherwise it is
    the last informative lines.
    """
    cleaned = [clean_line(line) for line in strip_ansi(screen).splitlines()]
    useful = [line for line in cleaned if informative(line)]
    if not useful:
        return ""
    # The patterns are written for the whole screen (anchors like \Z included): match the
    # cleaned screen and take the line where the LAST match starts, the current question
    # (line-based CLIs keep earlier, answered questions above it).
    joined = "\n".join(useful)
    start = None
    for pattern in waiting_patterns:
        for match in pattern.finditer(joined):
            index = joined.count("\n", 0, match.start())
            start = index if start is None else max(start, index)
    if start is None:
        chosen = useful[-lines:]
    else:  # the question, then its choices when it lists some, else the lines after it
        after = useful[start + 1 :]
        choices = [line for line in after if _CHOICE.match(line)]
        chosen = [useful[start], *(choices or after)[: lines - 1]]
    return _clip("\n".join(chosen), limit)
