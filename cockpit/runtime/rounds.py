"""What a new round of a dispatch needs from the last one: the CLI's session id (from its
structured output or its hook payloads), what the last round answered, and the command
that goes on with the CLI's own session (the catalog's `resume:` args)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cockpit.domain.json_value import JsonObject, JsonValue
from cockpit.domain.provider import SESSION_PLACEHOLDER, HeadlessSpec, InteractiveSpec, Provider
from cockpit.runtime.usage import JsonLines

MAX_SCAN_BYTES = 16 * 1024 * 1024  # only the tail of a huge log is searched
_RESULT_KEYS = ("result", "response")  # claude/fake result events, gemini's -o json document
_MAX_SUMMARY_CHARS = 4000


@dataclass(frozen=True)
class SessionSeen:
    session_id: str
    source: str  # "output" (the CLI's structured output) or "hook" (a hook payload)


def _tail_lines(path: Path) -> list[str]:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - MAX_SCAN_BYTES))
            data = handle.read()
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines()


def _find_key(obj: JsonValue, keys: list[str], depth: int = 0) -> str | None:
    """The first of `keys` found in a JSON object, at its top level or nested (opencode's
    events carry sessionID inside "part"), breadth first."""
    if not isinstance(obj, dict) or depth > 3:
        return None
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str) and value.strip() and len(value) <= 200:
            return value.strip()
    for value in obj.values():
        found = _find_key(value, keys, depth + 1)
        if found is not None:
            return found
    return None


def _objects(path: Path) -> list[JsonObject]:
    reader = JsonLines()
    found = []
    for line in _tail_lines(path):
        obj = reader.feed(line)
        if obj is not None:
            found.append(obj)
    return found


def last_session(log_path: Path, signals_path: Path, keys: list[str]) -> SessionSeen | None:
    """The newest session id in the worker's output, else in its hook payloads."""
    for path, source in ((log_path, "output"), (signals_path, "hook")):
        found = _newest_key(_tail_lines(path), keys, hook=source == "hook")
        if found is not None:
            return SessionSeen(found, source)
    return None


def _newest_key(lines: list[str], keys: list[str], *, hook: bool) -> str | None:
    """Newest first, and only lines that name a key are parsed (a long log is mostly other
    output); a key seen only inside a pretty-printed document (gemini's -o json) falls back
    to reading every document."""
    needles = [f'"{key}"' for key in keys]
    named = False
    for line in reversed(lines):
        if not any(needle in line for needle in needles):
            continue
        named = True
        found = _key_of(JsonLines().feed(line), keys, hook=hook)
        if found is not None:
            return found
    if not named:
        return None
    reader = JsonLines()
    objects = [obj for obj in (reader.feed(line) for line in lines) if obj is not None]
    for obj in reversed(objects):
        found = _key_of(obj, keys, hook=hook)
        if found is not None:
            return found
    return None


def _key_of(obj: JsonObject | None, keys: list[str], *, hook: bool) -> str | None:
    if obj is None:
        return None
    payload = found if hook and isinstance(found := obj.get("payload"), dict) else obj
    return _find_key(payload, keys)


def last_answer(log_path: Path) -> str | None:
    """The text of the newest result the CLI printed (claude's and the fake agent's `result`,
    gemini's `response`, codex's and opencode's last agent message), or None."""
    for obj in reversed(_objects(log_path)):
        for key in _RESULT_KEYS:
            if isinstance(result := obj.get(key), str) and result.strip():
                return result.strip()[:_MAX_SUMMARY_CHARS]
        item = found if isinstance(found := obj.get("item"), dict) else None
        if item and item.get("type") == "agent_message" and isinstance(text := item.get("text"), str):
            return text.strip()[:_MAX_SUMMARY_CHARS]
        part = found if isinstance(found := obj.get("part"), dict) else None
        if obj.get("type") == "text" and part and isinstance(text := part.get("text"), str):
            return text.strip()[:_MAX_SUMMARY_CHARS]
    return None


def can_resume(provider: Provider, mode: str, session_id: str | None) -> bool:
    spec = provider.resume
    if spec is None or spec.args_for(mode) is None:
        return False
    return session_id is not None or not spec.needs_session_id(mode)


def resumed_provider(provider: Provider, mode: str, session_id: str | None) -> Provider:
    """The provider with `mode`'s args replaced by its resume args, the session id filled in."""
    spec = provider.resume
    assert spec is not None and can_resume(provider, mode, session_id)
    args = [(session_id or "") if a == SESSION_PLACEHOLDER else a for a in spec.args_for(mode) or []]
    if mode == "headless":
        base = provider.headless
        assert base is not None
        headless = HeadlessSpec(args=args, prompt_via=base.prompt_via, timeout_s=base.timeout_s)
        return provider.model_copy(update={"headless": headless})
    current = provider.interactive or InteractiveSpec()
    return provider.model_copy(update={"interactive": current.model_copy(update={"args": args})})
