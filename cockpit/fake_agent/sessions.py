"""The fake agent's sessions, kept like claude keeps its own: one file per session id, one
line per prompt, so `--resume ID` goes on with a session an earlier run started (and a
missing one is an error, as in claude: "No conversation found with session ID")."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path


def sessions_dir() -> Path:
    """$COCKPIT_FAKE_SESSIONS, else $XDG_STATE_HOME/cockpit-fake-agent/sessions."""
    given = os.environ.get("COCKPIT_FAKE_SESSIONS")
    if given:
        return Path(given)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "cockpit-fake-agent" / "sessions"


class UnknownSession(Exception):
    pass


def session_file(session_id: str) -> Path:
    return sessions_dir() / f"{session_id}.jsonl"


def open_session(resume: str | None) -> str:
    """A new session id, or `resume` when that session exists (UnknownSession otherwise)."""
    if resume is None:
        return str(uuid.uuid4())
    if "/" in resume or not resume.strip() or not session_file(resume).is_file():
        raise UnknownSession(f"No conversation found with session ID: {resume}")
    return resume


def record_prompt(session_id: str, prompt_sha256: str) -> int:
    """Append one prompt to the session; the number of prompts it has had so far."""
    path = session_file(session_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"ts": time.time(), "prompt_sha256": prompt_sha256}) + "\n")
    with open(path, encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip())


def prompts_of(session_id: str) -> list[str]:
    """The sha256 of every prompt the session has had, oldest first."""
    try:
        lines = session_file(session_id).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line)["prompt_sha256"] for line in lines if line.strip()]
