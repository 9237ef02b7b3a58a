"""Review gates as data: configuration, what a risk level requires, results, and the verdict.

Pure: runners (runtime/gate_runners.py) produce results; the service records them;
`evaluate` decides, from results and the current diff fingerprint, what may merge.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cockpit.domain.gate_kinds import KINDS, built_in_kinds, group_kinds, kind_names_message, kind_rules
from cockpit.domain.task import GATE_NAME_RE, Risk, TaskPacket

# Gates that always exist (configuring one only changes its timeout): see domain/gate_kinds.py.
BUILT_IN_GATES = tuple(rules.name for rules in built_in_kinds())
DEFAULT_PROTECTED = [
    ".github/**",
    ".gitlab-ci.yml",
    ".ci/**",
    ".circleci/**",
    ".cockpit/**",
    "Jenkinsfile",
    "*.lock",
    "package-lock.json",
    "pnpm-lock.yaml",
    "go.sum",
    "requirements*.txt.lock",
]
# What each risk level requires by default. "commands" means every command gate:
# the configured ones and the task's acceptance commands.
DEFAULT_REQUIRED: dict[str, list[str]] = {
    "low": ["scope"],
    "medium": ["scope", "commands"],
    "high": ["scope", "commands", "conflicts", "review"],
    "critical": ["scope", "commands", "conflicts", "review"],
}


class GateStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # could not run (timeout, missing binary): counts as not passed
    RUNNING = "running"
    NOT_RUN = "not_run"
    STALE = "stale"  # ran on another diff than the current one


class Finding(BaseModel):
    model_config = ConfigDict(extra="ignore")

    severity: Literal["blocking", "advisory"]
    file: str | None = None
    line: int | None = None
    message: str


class Verdict(BaseModel):
    """The JSON a review gate's agent must answer with."""

    model_config = ConfigDict(extra="ignore")

    verdict: Literal["approve", "reject"]
    findings: list[Finding] = Field(default_factory=list)


class GateSpec(BaseModel):
    """One configured gate (from .cockpit/gates.yaml, or built in)."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    kind: str  # a registered kind (cockpit/domain/gate_kinds.py)
    run: str | None = None  # command gates: a shell command, run in the worker's worktree
    provider: str | None = None  # review gates: the catalog agent that reviews, headless
    instructions: str = ""  # review gates: extra text for the reviewer
    timeout: int = Field(default=600, gt=0, le=24 * 3600)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if v and not GATE_NAME_RE.match(v):
            raise ValueError("gate names are lower case letters, digits, - and _")
        return v

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in KINDS:
            raise ValueError(f"Input should be {kind_names_message()}")
        return v

    def check_complete(self) -> None:
        """Raise ValueError naming the first field the gate's kind requires and it lacks."""
        for name, message in kind_rules(self.kind).requires.items():
            if not str(getattr(self, name) or "").strip():
                raise ValueError(message)


class GatesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gates: dict[str, GateSpec] = Field(default_factory=dict)
    protected_paths: list[str] = Field(default_factory=lambda: list(DEFAULT_PROTECTED))
    required: dict[Risk, list[str]] = Field(default_factory=dict)

    def named(self) -> dict[str, GateSpec]:
        """Configured gates plus the built-in scope and conflicts gates."""
        out = {
            rules.name: GateSpec(name=rules.name, kind=rules.name, timeout=rules.built_in_timeout or 600)
            for rules in built_in_kinds()
        }
        for name, spec in self.gates.items():
            out[name] = spec.model_copy(update={"name": name})
        return out


def acceptance_gates(task: TaskPacket, timeout: int = 600) -> list[GateSpec]:
    return [GateSpec(name=f"accept-{i}", kind="command", run=cmd, timeout=timeout) for i, cmd in enumerate(task.acceptance, 1)]


def required_gates(task: TaskPacket, config: GatesConfig) -> tuple[list[GateSpec], list[str]]:
    """(the gates this dispatch must pass, names asked for that are not configured)."""
    named = config.named()
    wanted = list(config.required.get(task.risk, DEFAULT_REQUIRED[str(task.risk)]))
    wanted += [g for g in task.gates if g not in wanted]
    groups = group_kinds()
    out: dict[str, GateSpec] = {}
    missing: list[str] = []
    for name in wanted:
        group = groups.get(name)
        if name in named and (group is None or not group.group_reserved):
            out[name] = named[name]
        elif group is not None:  # every gate of the kind
            members = [s for s in named.values() if s.kind == group.name]
            out.update((s.name, s) for s in members)
            if not members and group.group_needs_one:
                missing.append(name)
        else:
            missing.append(name)
    for spec in acceptance_gates(task):  # asked for by the task itself: always required
        out[spec.name] = spec
    return list(out.values()), missing


@lru_cache(maxsize=512)
def _glob_regex(glob: str) -> re.Pattern[str]:
    """A path glob: `**` any number of directories, `*` and `?` within one path segment.

    A glob without a slash matches the file name anywhere ("*.lock"); a trailing
    slash or `/**` matches everything below a directory.
    """
    if "/" not in glob.rstrip("/"):
        glob = "**/" + glob
    if glob.endswith("/"):
        glob += "**"
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("^" + "".join(out) + "$")


def path_matches(path: str, glob: str) -> bool:
    """True when the glob matches the path or one of its directories (as in .gitignore):
    `src` and `src/` both cover `src/a/b.py`; `docs/*.md` does not cover `docs/x/y.md`."""
    pattern = _glob_regex(glob)
    parts = path.split("/")
    return any(pattern.match("/".join(parts[:n])) for n in range(len(parts), 0, -1))


def scope_findings(paths: list[str], allowed: list[str], protected: list[str]) -> list[Finding]:
    """Blocking findings for paths outside `allowed` (empty: anywhere) or inside `protected`."""
    findings = []
    for path in paths:
        if allowed and not any(path_matches(path, g) for g in allowed):
            findings.append(Finding(severity="blocking", file=path, message=f"outside the allowed paths ({', '.join(allowed)})"))
        hit = next((g for g in protected if path_matches(path, g)), None)
        if hit:
            findings.append(Finding(severity="blocking", file=path, message=f"a protected path ({hit})"))
    return findings


class GateState(BaseModel):
    """A required gate's standing against the current diff."""

    name: str
    kind: str
    status: GateStatus
    summary: str = ""
    findings: list[Finding] = Field(default_factory=list)
    report: str | None = None


def evaluate(
    required: list[GateSpec],
    missing: list[str],
    results: dict[str, dict],
    head: str,
    diff_sha256: str,
    complete: dict[str, bool],
    running: bool = True,
) -> tuple[list[GateState], list[str]]:
    """(each required gate's state, the blockers). No blockers means approval is allowed.

    `results` maps gate name to its latest stored result; `complete` says whether its
    evidence (report file, store row, receipt) is all there. A result judged on another
    head or another diff is stale, which counts as not run. `running` False says no gate
    run is under way, so a row still marked running was interrupted (a crash): not run.
    """
    states: list[GateState] = []
    blockers: list[str] = [f"gate {name} is required but not configured (see docs/gates.md)" for name in missing]
    for spec in required:
        row = results.get(spec.name)
        if row is None or not complete.get(spec.name, False):
            if running and row is not None and row.get("status") == "running":
                status, why = GateStatus.RUNNING, "is still running"
            elif row is None or row.get("status") == "running":
                status, why = GateStatus.NOT_RUN, "has not run on this diff"
            else:  # a result whose report file is gone or altered: evidence incomplete
                status, why = GateStatus.NOT_RUN, "has incomplete evidence (its report is missing or altered)"
            states.append(GateState(name=spec.name, kind=spec.kind, status=status, summary=why))
            blockers.append(f"gate {spec.name} {why}")
            continue
        findings = [Finding(**f) for f in row.get("findings_list", [])]
        status = GateStatus(row["status"])
        if row.get("head_commit") != head or row.get("diff_sha256") != diff_sha256:
            status = GateStatus.STALE
        states.append(
            GateState(
                name=spec.name,
                kind=spec.kind,
                status=status,
                summary=row.get("summary", ""),
                findings=findings,
                report=row.get("report"),
            )
        )
        if status == GateStatus.STALE:
            blockers.append(f"gate {spec.name} is stale (the worktree changed since it ran)")
        elif status != GateStatus.PASSED:
            detail = f": {row['summary']}" if row.get("summary") else ""
            blockers.append(f"gate {spec.name} {status.value}{detail}")
    return states, blockers
