"""A dispatch's skill: read it from the main checkout and compose the prompt its agent gets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cockpit.domain.skills import Skill, compose_prompt
from cockpit.domain.task import check_prompt
from cockpit.errors import UsageError
from cockpit.runtime.skills import load_skill, skill_summaries


@dataclass(frozen=True)
class Composed:
    prompt: str  # what the agent is given, the same bytes for every provider
    assignment: str  # what the operator asked (the dispatch's title comes from it)
    skill: Skill


def compose_for_dispatch(toplevel: Path, name: str, assignment: str) -> Composed:
    """UsageError (naming the skills that exist) for an unknown or unreadable skill."""
    skill = load_skill(toplevel, name)
    prompt = compose_prompt(skill, assignment)
    try:
        check_prompt(prompt)
    except ValueError as exc:
        raise UsageError(f"with skill {name!r}, {exc}") from None
    return Composed(prompt, assignment, skill)


def list_skills(toplevel: Path) -> list[dict[str, object]]:
    return skill_summaries(toplevel)
