"""Permission policy: rules the team wrote, matched in order, first match wins (no I/O).

A rule names a tool (as the CLI reports it), optionally a glob on the command (shell tools)
or on the path (edits), optionally a provider, and a decision. No match: `ask` (the
operator decides). Protected paths win over any rule: a policy never allows them.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cockpit.domain.gates import path_matches

Decision = Literal["allow", "deny", "ask"]


class PolicyRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    tool: str | None = None  # glob on the tool name (Bash, Edit, Write, ...)
    command: str | None = None  # glob on the whole command
    path: str | None = None  # glob on the path, relative to the worktree
    provider: str | None = None
    decision: Decision


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[PolicyRule] = Field(default_factory=list)


@dataclass(frozen=True)
class Ruling:
    decision: Decision
    rule: str | None  # the matching rule's id; None when nothing matched
    reason: str


def rule_matches(rule: PolicyRule, *, tool: str, command: str | None, path: str | None, provider: str) -> bool:
    if rule.tool is not None and not fnmatch.fnmatchcase(tool, rule.tool):
        return False
    if rule.provider is not None and rule.provider != provider:
        return False
    if rule.command is not None and (command is None or not fnmatch.fnmatchcase(command, rule.command)):
        return False
    if rule.path is not None and (path is None or not path_matches(path, rule.path)):
        return False
    return True


def decide(
    policy: Policy,
    *,
    tool: str,
    command: str | None,
    path: str | None,
    provider: str,
    protected: list[str] | tuple[str, ...] = (),
) -> Ruling:
    for rule in policy.rules:
        if not rule_matches(rule, tool=tool, command=command, path=path, provider=provider):
            continue
        if rule.decision == "allow" and path is not None and (hit := next((g for g in protected if path_matches(path, g)), None)):
            return Ruling("ask", rule.id, f"rule {rule.id} would allow it, but {path} is protected ({hit})")
        return Ruling(rule.decision, rule.id, f"rule {rule.id}")
    return Ruling("ask", None, "no rule matched")
