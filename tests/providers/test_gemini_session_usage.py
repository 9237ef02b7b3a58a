"""Interactive gemini tokens from its chat session file (a gemini 0.61 session, shortened)."""

from __future__ import annotations

import json
from pathlib import Path

from cockpit.runtime.transcripts import TranscriptUsage

HEADER = {"sessionId": "c2526748", "projectHash": "47b9", "startTime": "2026-11-28T05:16:53.823Z", "kind": "main"}
USER = {"id": "u1", "type": "user", "content": [{"text": "Please create hello.txt"}]}


def answer(entry_id: str, tokens: dict) -> dict:
    return {"id": entry_id, "type": "gemini", "content": "I will create hello.txt.", "thoughts": [], "tokens": tokens,
            "model": "gemini-3.8-flash"}


def test_each_answer_counts_once_and_totals_only_grow(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    first = answer("a1", {"input": 123, "output": 45, "cached": 0, "thoughts": 2, "tool": 0, "total": 170})
    path.write_text("\n".join(json.dumps(x) for x in (HEADER, {"$set": {"lastUpdated": "x"}}, USER, first)) + "\n")
    usage = TranscriptUsage(path, "gemini")
    assert usage.read() and (usage.input_tokens, usage.output_tokens) == (123, 47)
    with path.open("a") as handle:  # the same answer written again (updated), then the next one, half written
        handle.write(json.dumps(first) + "\n")
        handle.write(json.dumps(answer("a2", {"input": 153, "output": 12, "cached": 0, "thoughts": 0}))[:40])
    assert not usage.read() and (usage.input_tokens, usage.output_tokens) == (123, 47)
    with path.open("a") as handle:
        handle.write(json.dumps(answer("a2", {"input": 153, "output": 12, "cached": 0, "thoughts": 0}))[40:] + "\n")
    assert usage.read() and (usage.input_tokens, usage.output_tokens) == (276, 59)


def test_claude_entries_are_not_gemini_answers(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    claude = {"type": "assistant", "message": {"id": "m", "usage": {"input_tokens": 5, "output_tokens": 1}}}
    path.write_text(json.dumps(claude) + "\n")
    usage = TranscriptUsage(path, "gemini")
    assert not usage.read() and (usage.input_tokens, usage.output_tokens) == (0, 0)
