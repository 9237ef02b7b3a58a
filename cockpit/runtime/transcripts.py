"""Token usage from a CLI's session transcript (JSONL), for interactive runs.

kind "claude": claude's transcript (below). kind "gemini": gemini 0.61's chat session file
(~/.gemini/tmp/<project>/chats/session-*.jsonl, named by its hooks' transcript_path), whose
`"type": "gemini"` entries carry `tokens: {input, output, cached, thoughts, …}` per model
answer; an entry may be written again when it is updated, so each id counts once.
kind "codex": codex 0.169's session file (~/.codex/sessions/YYYY/MM/DD/rollout-*-<thread-id>.jsonl),
whose `event_msg` `token_count` entries carry the session's running totals
(`info.total_token_usage.{input_tokens, output_tokens}`; cached input is part of input).

Interactive claude prints no machine-readable usage, but its hook payloads name the
transcript file, whose assistant entries carry each API message's usage. claude writes
one entry per content block of a streamed message, each with the same usage, so entries
are counted once per message id. Totals only ever grow: the file is read incrementally
and a message already counted is never counted again.
"""

from __future__ import annotations

import json
from pathlib import Path

_MAX_READ = 8 * 1024 * 1024


class TranscriptUsage:
    def __init__(self, path: Path, kind: str = "claude") -> None:
        self.path = path
        self.kind = kind
        self.offset = 0
        self.partial = b""
        self.seen: set[str] = set()
        self.input_tokens = 0
        self.output_tokens = 0

    def read(self, source: Path | None = None) -> bool:
        """Read what was appended since the last call; True when the totals grew. `source`:
        where the bytes of `path` are on this machine, when it names a file elsewhere."""
        try:
            with open(source or self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read(_MAX_READ)
        except OSError:
            return False
        if not data:
            return False
        self.offset += len(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        grew = False
        for line in lines:
            grew = self._take(line) or grew
        return grew

    def _take(self, line: bytes) -> bool:
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return False
        if isinstance(entry, dict) and self.kind == "gemini":
            return self._take_gemini(entry)
        if isinstance(entry, dict) and self.kind == "codex":
            return self._take_codex(entry)
        if not isinstance(entry, dict) or entry.get("type") != "assistant":
            return False
        message = entry.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("usage"), dict):
            return False
        key = str(message.get("id") or entry.get("requestId") or entry.get("uuid"))
        if key in self.seen:
            return False
        self.seen.add(key)
        usage = message["usage"]
        # input counts all input, cached or not, as the headless claude parser does
        self.input_tokens += sum(
            _count(usage.get(k)) for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        )
        self.output_tokens += _count(usage.get("output_tokens"))
        return True

    def _take_gemini(self, entry: dict) -> bool:
        tokens = entry.get("tokens")
        if entry.get("type") != "gemini" or not isinstance(tokens, dict):
            return False
        key = str(entry.get("id"))
        if key in self.seen:
            return False
        self.seen.add(key)
        self.input_tokens += _count(tokens.get("input"))
        self.output_tokens += _count(tokens.get("output")) + _count(tokens.get("thoughts"))
        return True

    def _take_codex(self, entry: dict) -> bool:
        payload = entry.get("payload")
        if entry.get("type") != "event_msg" or not isinstance(payload, dict) or payload.get("type") != "token_count":
            return False
        info = found if isinstance(found := payload.get("info"), dict) else {}
        total = found if isinstance(found := info.get("total_token_usage"), dict) else {}
        grown = (
            max(self.input_tokens, _count(total.get("input_tokens"))),
            max(self.output_tokens, _count(total.get("output_tokens"))),
        )
        if grown == (self.input_tokens, self.output_tokens):
            return False
        self.input_tokens, self.output_tokens = grown
        return True


def codex_session_file(codex_home: Path, thread_id: str) -> Path | None:
    """codex's session file for a thread (the newest, if several match)."""
    if not thread_id or "/" in thread_id:
        return None
    found = sorted((codex_home / "sessions").glob(f"*/*/*/rollout-*-{thread_id}.jsonl"))
    return found[-1] if found else None


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
