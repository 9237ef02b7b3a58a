"""Interactive tokens from the CLIs' session files (gemini 0.61 chat sessions, codex 0.169 rollouts; shortened)."""

from __future__ import annotations

import json
from pathlib import Path

from cockpit.runtime.transcripts import TranscriptUsage

HEADER = {"sessionId": "c2526748", "projectHash": "47b9", "startTime": "2026-11-28T05:16:53.823Z", "kind": "main"}
USER = {"id": "u1", "type": "user", "content": [{"text": "Please create hello.txt"}]}


def answer(entry_id: str, tokens: dict) -> dict:
    return {
        "id": entry_id,
        "type": "gemini",
        "content": "I will create hello.txt.",
        "thoughts": [],
        "tokens": tokens,
        "model": "gemini-3.8-flash",
    }


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


def test_codex_session_totals_are_running_totals(tmp_path: Path) -> None:
    from cockpit.runtime.transcripts import codex_session_file

    day = tmp_path / "sessions" / "2026" / "11" / "28"
    day.mkdir(parents=True)
    path = day / "rollout-2026-11-28T05-07-16-01a2208c-ec45.jsonl"

    def count(i: int, o: int) -> str:
        return json.dumps(
            {
                "type": "event_msg",
                "payload": {
                    "type": "token_count",
                    "info": {"total_token_usage": {"input_tokens": i, "cached_input_tokens": 0, "output_tokens": o}},
                },
            }
        )

    path.write_text(json.dumps({"type": "session_meta", "payload": {"id": "01a2208c-ec45"}}) + "\n" + count(1234, 56) + "\n")
    assert codex_session_file(tmp_path, "01a2208c-ec45") == path and codex_session_file(tmp_path, "nope") is None
    usage = TranscriptUsage(path, "codex")
    assert usage.read() and (usage.input_tokens, usage.output_tokens) == (1234, 56)
    with path.open("a") as handle:
        handle.write(count(2634, 77) + "\n" + count(2634, 77) + "\n")
    assert usage.read() and (usage.input_tokens, usage.output_tokens) == (2634, 77)
    assert not usage.read()
