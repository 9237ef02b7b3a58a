"""The repository's gate configuration: `.cockpit/gates.yaml`, a file the team may commit.

It is read from the main checkout (never from a worker's worktree, so a worker cannot
loosen its own gates). Every error is one line: `file:line: field: problem`.
"""

from __future__ import annotations

from pathlib import Path

from cockpit.domain.gate_kinds import KINDS, group_kinds
from cockpit.domain.gates import GatesConfig
from cockpit.domain.task import GATE_NAME_RE, TaskPacket
from cockpit.errors import UsageError
from cockpit.runtime.yaml_lines import load_model_file

DOCS = "docs/gates.md"
SHAPE = "the gate file must be a mapping (gates:, protected_paths:, required:)"


def group_names() -> list[str]:
    """Names a required list may use besides configured gates: every gate of a kind (`commands`, `review`)."""
    return list(group_kinds())


def reserved_names() -> list[str]:
    """Never a gate's name (besides the acceptance gates' `accept-N`): the reserved group names (`commands`)."""
    return [name for name, rules in group_kinds().items() if rules.group_reserved]


def gates_path(repo_root: Path) -> Path:
    return Path(repo_root) / ".cockpit" / "gates.yaml"


def load_gates(repo_root: Path) -> GatesConfig:
    path = gates_path(repo_root)
    if not path.exists():
        return GatesConfig()
    loaded = load_model_file(path, GatesConfig, shape=SHAPE, docs=DOCS)
    config, fail = loaded.value, loaded.error
    for name, spec in config.gates.items():
        if not GATE_NAME_RE.match(name):
            raise fail(("gates", name), "gate names are lower case letters, digits, - and _ (at most 41)")
        built_in = KINDS.get(name)
        if built_in is not None and built_in.built_in_timeout is not None and spec.kind != name:
            raise fail(("gates", name), f"the name {name!r} is reserved for the built-in {name} gate")
        if name in reserved_names() or name.startswith("accept-"):
            reserved = ", ".join(f"`{n}`" for n in reserved_names())
            raise fail(("gates", name), f"the names {reserved} and `accept-N` are reserved (acceptance commands)")
        try:
            spec.check_complete()
        except ValueError as exc:
            raise fail(("gates", name), str(exc)) from None
    known = set(config.named()) | set(group_names())
    for risk, names in config.required.items():
        for index, name in enumerate(names):
            if name not in known:
                raise fail(
                    ("required", str(risk), index), f"{name!r} is not a configured gate (known: {', '.join(sorted(known))})"
                )
    return config


def check_task_gates(repo_root: Path, task: TaskPacket) -> None:
    """Fail before anything is created when the gate file is broken or the task names an unknown gate."""
    config = load_gates(repo_root)
    known = set(config.named()) | set(group_names())
    for index, name in enumerate(task.gates):
        if name not in known:
            raise UsageError(
                f"task: gates.{index}: {name!r} is not a configured gate",
                hint=f"configured: {', '.join(sorted(known))} (see {DOCS})",
            )
