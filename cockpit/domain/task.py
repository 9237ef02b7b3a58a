"""The task packet: what a dispatch is asked to do and what its result must satisfy."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cockpit.domain.skills import check_skill_name

MAX_PROMPT_BYTES = 1024 * 1024
GATE_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,40}$")


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


def check_prompt(prompt: str) -> str:
    """The prompt if it can be given to an agent; ValueError saying why not otherwise."""
    if not prompt.strip():
        raise ValueError("the prompt is empty")
    if "\x00" in prompt:
        raise ValueError("the prompt contains NUL bytes (binary data is not a prompt)")
    try:
        size = len(prompt.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("the prompt is not valid UTF-8 text") from None
    if size > MAX_PROMPT_BYTES:
        raise ValueError(f"the prompt is {size} bytes; the limit is {MAX_PROMPT_BYTES} (1 MiB)")
    return prompt


class TaskPacket(BaseModel):
    """A task file (`cockpit dispatch --task FILE`) or the same keys given as flags."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str | None = None
    provider: str | None = None
    allowed_paths: list[str] = Field(default_factory=list)
    acceptance: list[str] = Field(default_factory=list)
    risk: Risk = Risk.MEDIUM
    gates: list[str] = Field(default_factory=list)
    max_run_seconds: int | None = Field(default=None, gt=0, le=7 * 24 * 3600)
    target: str | None = None
    skill: str | None = None  # a folder of .cockpit/skills (cockpit/domain/skills.py)

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, v: str | None) -> str | None:
        return None if v is None else check_prompt(v)

    @field_validator("skill")
    @classmethod
    def _skill(cls, v: str | None) -> str | None:
        return None if v is None else check_skill_name(v)

    @field_validator("allowed_paths")
    @classmethod
    def _globs(cls, v: list[str]) -> list[str]:
        for glob in v:
            if not glob or glob.startswith("/") or "\x00" in glob:
                raise ValueError(f"{glob!r} is not a relative path glob")
            if any(part == ".." for part in glob.split("/")):
                raise ValueError(f"{glob!r} climbs out of the repository with '..'")
        return v

    @field_validator("acceptance")
    @classmethod
    def _commands(cls, v: list[str]) -> list[str]:
        for command in v:
            if not command.strip() or "\x00" in command:
                raise ValueError("acceptance commands must be non-empty shell commands")
        return v

    @field_validator("gates")
    @classmethod
    def _gate_names(cls, v: list[str]) -> list[str]:
        for name in v:
            if not GATE_NAME_RE.match(name):
                raise ValueError(f"{name!r} is not a gate name (lower case letters, digits, - and _)")
        return v

    def public(self) -> dict:
        """The packet as recorded in receipts (the prompt itself is kept out: it has its own hash)."""
        data = self.model_dump(mode="json", exclude={"prompt"})
        if data.get("skill") is None:
            del data["skill"]  # a packet without a skill is recorded as it always was
        return data
