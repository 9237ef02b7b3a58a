"""The gate-kind registry, its rules half: what each kind of gate is, as data.

A kind is its configuration (the fields a gate of the kind must set), how a `required:`
list may name all its gates at once, whether it is built in, what its runner needs, and
how replay treats it. The other half, how a kind runs in the supervisor, is
`cockpit/service/gate_kinds.py`; `docs/gates.md` describes each kind under "The kinds of
gate". Adding a kind is one `register(...)` here, one runner there, and its doc entry
(docs/gates.md, "Gate registry"). Code never compares a gate's kind with a kind's name:
it asks the kind's rules (tests/gates/test_gate_registry.py checks both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Replay = Literal["always", "on_request", "never"]


@dataclass(frozen=True)
class GateKindRules:
    name: str
    # Fields a configured gate of this kind must set (non-blank), and the message when it does not.
    requires: dict[str, str] = field(default_factory=dict)
    # In a `required:` list this name means every gate of the kind (e.g. `commands`).
    group: str | None = None
    # A reserved group name is never a gate's name; an unreserved one means the gate of that
    # name when there is one, else the group.
    group_reserved: bool = False
    # A required group with no gate of the kind blocks approval (it is never skipped).
    group_needs_one: bool = False
    # Built-in gates exist without configuration, under the kind's own name, with this timeout.
    built_in_timeout: int | None = None
    needs_patch: bool = False  # the runner reads the diff's text, not only its files
    runs_in_worktree: bool = False  # it may change the worktree it judges: the evidence is re-checked after it
    replay: Replay = "never"  # `cockpit replay` re-runs it: always, with --review only, or never
    replay_compares_exit: bool = False  # a replay is `same` only if the exit code is the same too


KINDS: dict[str, GateKindRules] = {}


def register(rules: GateKindRules) -> GateKindRules:
    if rules.name in KINDS:
        raise ValueError(f"gate kind {rules.name!r} is registered twice")
    KINDS[rules.name] = rules
    return rules


register(
    GateKindRules(
        "command",
        requires={"run": "a command gate needs `run`"},
        group="commands",
        group_reserved=True,
        runs_in_worktree=True,
        replay="always",
        replay_compares_exit=True,
    )
)
register(
    GateKindRules(
        "review",
        requires={"provider": "a review gate needs `provider` (an agent from the catalog)"},
        group="review",
        group_needs_one=True,
        needs_patch=True,
        replay="on_request",
    )
)
register(GateKindRules("scope", built_in_timeout=60))
register(GateKindRules("conflicts", built_in_timeout=120))


def kind_rules(kind: str) -> GateKindRules:
    """The rules of a registered kind (KeyError for any other name)."""
    return KINDS[kind]


def kind_names_message() -> str:
    """`'a', 'b' or 'c'`: the registered kinds, as pydantic words a choice."""
    quoted = [repr(name) for name in KINDS]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def built_in_kinds() -> list[GateKindRules]:
    return [rules for rules in KINDS.values() if rules.built_in_timeout is not None]


def group_kinds() -> dict[str, GateKindRules]:
    """Group name (as a `required:` list may use it) -> its kind."""
    return {rules.group: rules for rules in KINDS.values() if rules.group}
