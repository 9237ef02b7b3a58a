"""The pure rules: what a risk requires, path globs, scope, the verdict parser, evaluation, the gate file."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.domain.gates import (
    DEFAULT_REQUIRED,
    GatesConfig,
    GateSpec,
    GateStatus,
    evaluate,
    path_matches,
    required_gates,
    scope_findings,
)
from cockpit.domain.task import TaskPacket
from cockpit.errors import UsageError
from cockpit.runtime.gate_config import check_task_gates, load_gates
from cockpit.runtime.gate_runners import extract_verdict

CONFIG = GatesConfig.model_validate(
    {
        "gates": {
            "unit": {"kind": "command", "run": "pytest -q"},
            "lint": {"kind": "command", "run": "ruff check ."},
            "llm": {"kind": "review", "provider": "fake"},
        }
    }
)


def names(task: TaskPacket, config: GatesConfig = CONFIG) -> tuple[list[str], list[str]]:
    required, missing = required_gates(task, config)
    return sorted(s.name for s in required), missing


def test_risk_picks_the_default_required_set() -> None:
    assert names(TaskPacket(risk="low")) == (["scope"], [])
    assert names(TaskPacket(risk="medium")) == (["lint", "scope", "unit"], [])
    assert names(TaskPacket(risk="high")) == (["conflicts", "lint", "llm", "scope", "unit"], [])
    assert names(TaskPacket(risk="critical")) == names(TaskPacket(risk="high"))
    assert DEFAULT_REQUIRED["low"] == ["scope"]


def test_acceptance_commands_are_always_required_and_task_gates_are_added() -> None:
    task = TaskPacket(risk="low", acceptance=["make test", "make lint"], gates=["conflicts", "unit"])
    assert names(task) == (["accept-1", "accept-2", "conflicts", "scope", "unit"], [])
    required, _ = required_gates(task, CONFIG)
    assert {s.name: s.run for s in required}["accept-2"] == "make lint"


def test_review_required_without_a_review_gate_is_missing_not_skipped() -> None:
    assert names(TaskPacket(risk="high"), GatesConfig()) == (["conflicts", "scope"], ["review"])
    config = GatesConfig.model_validate({"required": {"low": ["scope", "nightly"]}})
    assert names(TaskPacket(risk="low"), config)[1] == ["nightly"]


@pytest.mark.parametrize(
    ("path", "glob", "expected"),
    [
        ("src/a.py", "src/**", True),
        ("src/deep/er/a.py", "src/", True),
        ("src/deep/a.py", "src", True),  # a directory name covers what is below it
        ("lib/src/a.py", "src", True),  # a glob without a slash matches at any depth
        ("srcx/a.py", "src", False),
        ("docs/a.md", "docs/*.md", True),
        ("docs/x/a.md", "docs/*.md", False),
        ("a/b/c.lock", "*.lock", True),
        ("a/b/c.locked", "*.lock", False),
        ("x/y/z/w.txt", "x/**/w.txt", True),
        ("x/w.txt", "x/**/w.txt", True),
        ("file[1].txt", "file[1].txt", True),  # brackets are literal
    ],
)
def test_path_globs(path: str, glob: str, expected: bool) -> None:
    assert path_matches(path, glob) is expected


def test_scope_findings_name_paths_outside_and_protected() -> None:
    findings = scope_findings(
        ["src/a.py", "README.md", ".github/workflows/ci.yml", "src/poetry.lock"],
        ["src/**", ".github/**"],
        [".github/**", "*.lock"],
    )
    assert [(f.file, f.message.split(" (")[0]) for f in findings] == [
        ("README.md", "outside the allowed paths"),
        (".github/workflows/ci.yml", "a protected path"),
        ("src/poetry.lock", "a protected path"),
    ]
    assert all(f.severity == "blocking" for f in findings)
    assert scope_findings(["anything/at/all.py"], [], []) == []  # no allowed paths: anywhere


@pytest.mark.parametrize(
    "text",
    [
        '{"verdict": "approve", "findings": []}',
        'Looks fine.\n```json\n{"verdict": "approve", "findings": []}\n```',
        '{"type":"result","result":"{\\"verdict\\":\\"approve\\",\\"findings\\":[]}"}',
        # gemini -o json: one pretty-printed document whose "response" holds the answer
        '{\n  "session_id": "s",\n  "response": "{\\"verdict\\": \\"approve\\", \\"findings\\": []}",\n  "stats": {}\n}',
    ],
)
def test_a_verdict_is_found_in_plain_text_fenced_or_in_a_json_event(text: str) -> None:
    verdict, why = extract_verdict(text)
    assert verdict is not None and verdict.verdict == "approve" and why == ""


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I approve of this change.", "no JSON object with a `verdict`"),
        ('{"verdict": "maybe"}', "malformed at verdict"),
        ('{"verdict": "reject", "findings": [{"severity": "fatal", "message": "x"}]}', "malformed at findings.0.severity"),
        ('{"verdict": "approve", "findings": [{"severity": "advisory"}]}', "findings.0.message"),
    ],
)
def test_an_unusable_verdict_says_why(text: str, reason: str) -> None:
    verdict, why = extract_verdict(text)
    assert verdict is None and reason in why


def row(gate: str, status: str = "passed", head: str = "h1", sha: str = "d1") -> dict:
    return {
        "gate": gate,
        "status": status,
        "head_commit": head,
        "diff_sha256": sha,
        "summary": f"{gate} said so",
        "findings_list": [],
        "report": f"/r/{gate}.txt",
    }


def test_evaluate_passes_only_complete_current_passing_results() -> None:
    specs = [GateSpec(name=n, kind="command", run="true") for n in ("a", "b", "c", "d", "e", "f")]
    results = {
        "a": row("a"),
        "b": row("b", "failed"),
        "c": row("c", head="h0"),
        "d": row("d", sha="d0"),
        "e": row("e", "running"),
        "f": row("f"),
    }
    complete = {"a": True, "b": True, "c": True, "d": True, "e": False, "f": False}
    states, blockers = evaluate(specs, ["review"], results, "h1", "d1", complete)
    assert [str(s.status) for s in states] == ["passed", "failed", "stale", "stale", "running", "not_run"]
    assert blockers == [
        "gate review is required but not configured (see docs/gates.md)",
        "gate b failed: b said so",
        "gate c is stale (the worktree changed since it ran)",
        "gate d is stale (the worktree changed since it ran)",
        "gate e is still running",
        "gate f has incomplete evidence (its report is missing or altered)",
    ]
    # No run under way: a row left `running` by a crash counts as not run.
    states, blockers = evaluate(specs[4:5], [], results, "h1", "d1", complete, running=False)
    assert states[0].status == GateStatus.NOT_RUN and blockers == ["gate e has not run on this diff"]
    assert evaluate(specs[:1], [], results, "h1", "d1", complete) == (
        evaluate(specs[:1], [], results, "h1", "d1", complete)[0],
        [],
    )


def write_config(tmp_path: Path, text: str) -> Path:
    (tmp_path / ".cockpit").mkdir(exist_ok=True)
    (tmp_path / ".cockpit" / "gates.yaml").write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("gates:\n  unit:\n    kind: command\n    run: make\n    timout: 5\n", ":5: gates.unit.timout", "unknown field"),
        ("gates:\n  unit:\n    kind: shell\n    run: make\n", ":3: gates.unit.kind", "Input should be"),
        ("gates:\n  unit:\n    kind: command\n    timeout: -1\n    run: x\n", ":4: gates.unit.timeout", "greater than 0"),
        ("gates:\n  unit:\n    kind: command\n", ":2: gates.unit", "needs `run`"),
        ("gates:\n  ok:\n    kind: command\n    run: x\n  llm:\n    kind: review\n", ":5: gates.llm", "needs `provider`"),
        ("gates:\n  Unit Tests:\n    kind: command\n    run: x\n", ":2: gates.Unit Tests", "lower case"),
        ("gates:\n  ../x:\n    kind: command\n    run: x\n", ":2: gates.../x", "lower case"),
        ("gates:\n  scope:\n    kind: command\n    run: x\n", ":2: gates.scope", "reserved"),
        ("gates:\n  accept-1:\n    kind: command\n    run: x\n", ":2: gates.accept-1", "reserved"),
        ("required:\n  low: [scope]\n  high:\n    - scope\n    - nightly\n", ":5: required.high.1", "'nightly'"),
        ("required:\n  extreme: [scope]\n", ":2: required.extreme", "Input should be"),
        ("gates:\n\tunit: x\n", ":2: ", "malformed YAML"),
        ("- just\n- a list\n", ":1: ", "must be a mapping"),
        ("protected_paths: ci.yml\n", ":1: protected_paths", "valid list"),
    ],
)
def test_gate_file_errors_are_one_line_with_file_and_line(tmp_path: Path, text: str, where: str, what: str) -> None:
    with pytest.raises(UsageError) as caught:
        load_gates(write_config(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(tmp_path / ".cockpit" / "gates.yaml") + where), message
    assert what in message, message


def test_a_valid_gate_file_and_task_gate_names(tmp_path: Path) -> None:
    assert load_gates(tmp_path) == GatesConfig()  # no file: defaults
    root = write_config(
        tmp_path,
        "gates:\n  unit: {kind: command, run: make test, timeout: 30}\n"
        "protected_paths: ['*.lock']\nrequired:\n  low: [scope, commands]\n",
    )
    config = load_gates(root)
    assert config.protected_paths == ["*.lock"] and config.named()["unit"].timeout == 30
    check_task_gates(root, TaskPacket(gates=["unit", "conflicts", "review"]))
    with pytest.raises(UsageError, match=r"task: gates.1: 'nope' is not a configured gate"):
        check_task_gates(root, TaskPacket(gates=["unit", "nope"]))
