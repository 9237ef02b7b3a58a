"""Task packets: a YAML file or flags; a bad one is one line naming the field, exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

from gatekit import git, git_state, use_gates


def traces(cockpit) -> tuple:
    """Everything a dispatch would leave behind: receipts, branches and worktrees, state files."""
    state = cockpit.ws.state.root
    files = sorted(
        str(p.relative_to(state))
        for p in state.rglob("*")
        if p.is_file() and p.suffix not in (".lock", ".log", ".sock") and "store" not in p.name
    )
    ledger = cockpit.ws.state.ledger_dir / "ledger.ndjson"
    return (
        ledger.read_bytes() if ledger.exists() else b"",
        git_state(cockpit.repo),
        git(cockpit.repo, "worktree", "list", "--porcelain"),
        files,
    )


BAD_PACKETS = [
    ("prompt: hi\n\trisk: low\n", "task.yaml:2: not valid YAML"),
    ("- a list\n", "task.yaml: a task file is a mapping"),
    ("prompt: hi\nrisky: high\n", "task.yaml: risky: unknown key"),
    ("prompt: hi\nrisk: extreme\n", "task.yaml: risk: Input should be 'low', 'medium', 'high' or 'critical'"),
    ("prompt: hi\nacceptance: make test\n", "task.yaml: acceptance: Input should be a valid list"),
    ("prompt: hi\nmax_run_seconds: soon\n", "task.yaml: max_run_seconds: Input should be a valid integer"),
    ("prompt: hi\nallowed_paths: [/etc/passwd]\n", "task.yaml: allowed_paths: '/etc/passwd' is not a relative"),
    ("prompt: hi\nallowed_paths: [src/../../x]\n", "task.yaml: allowed_paths: 'src/../../x' climbs out"),
    ("prompt: hi\ngates: [Nope!]\n", "task.yaml: gates: 'Nope!' is not a gate name"),
    ("prompt: hi\ngates: [nightly]\n", "task: gates.0: 'nightly' is not a configured gate"),
    ("prompt: hi\ntarget: no-such-branch\n", "target branch 'no-such-branch' does not exist"),
    ("provider: fake\n", "no prompt given"),
]


def test_a_bad_task_file_names_the_field_and_writes_nothing(cockpit) -> None:
    cockpit.wait(cockpit.dispatch("@fake say warm up"), until="no_changes")  # none may change
    task = cockpit.repo.parent / "task.yaml"
    before = traces(cockpit)
    for packet, message in BAD_PACKETS:
        task.write_text(packet)
        result = cockpit.run("dispatch", "--task", str(task))
        assert result.returncode == 2, result
        line = result.stderr.strip()
        assert message in line and "\n" not in line and "Traceback" not in line, (packet, line)
        assert traces(cockpit) == before, packet


def test_bad_flags_are_refused_the_same_way(cockpit) -> None:
    before = traces(cockpit)
    for args in (
        ["--allow", "/abs/path"],
        ["--allow", "../up"],
        ["--gate", "missing"],
        ["--risk", "huge"],
        ["--target", "nowhere"],
        ["--accept", " "],
    ):
        result = cockpit.run("dispatch", "@fake say hi", *args)
        assert result.returncode == 2, (args, result)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    assert traces(cockpit) == before


def test_a_broken_gate_file_refuses_dispatch_with_file_and_line(cockpit) -> None:
    use_gates(cockpit.repo, "gates:\n  unit:\n    kind: command\n")
    result = cockpit.run("dispatch", "@fake say hi")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("gates.yaml:2: gates.unit: a command gate needs `run`"), result.stderr


def test_a_task_file_and_flags_together_are_recorded(cockpit) -> None:
    use_gates(cockpit.repo, "gates:\n  unit: {kind: command, run: 'true', timeout: 10}\n")
    task = cockpit.repo.parent / "task.yaml"
    task.write_text(
        "prompt: |\n  @fake write src/a.py x = 1\n  @fake commit a\nprovider: fake\n"
        "allowed_paths: ['src/**']\nacceptance: ['test -f src/a.py']\nrisk: low\n"
        "max_run_seconds: 60\n"
    )
    dispatch_id = cockpit.run(
        "dispatch",
        "--task",
        str(task),
        "--accept",
        "grep -q 1 src/a.py",
        "--allow",
        "docs/",
        "--gate",
        "unit",
        "--target",
        "main",
        check=True,
    ).stdout.strip()
    created = next(r for r in cockpit.receipts(dispatch_id) if r.kind == "dispatch_created")
    assert created.data["task"] == {
        "provider": "fake",
        "allowed_paths": ["src/**", "docs/"],
        "acceptance": ["test -f src/a.py", "grep -q 1 src/a.py"],
        "risk": "low",
        "gates": ["unit"],
        "max_run_seconds": 60,
        "target": "main",
    }
    assert (created.data["risk"], created.data["target"], created.data["timeout_s"]) == ("low", "main", 60)
    cockpit.wait(dispatch_id, until="awaiting_approval")
    started = next(r for r in cockpit.receipts(dispatch_id) if r.kind == "review_changed")
    assert sorted(started.data["gates"]) == ["accept-1", "accept-2", "scope", "unit"]
    review = json.loads(cockpit.run("review", dispatch_id, "--json", check=True).stdout)
    assert {g["name"]: g["status"] for g in review["gates"]} == {
        "scope": "passed",
        "unit": "passed",
        "accept-1": "passed",
        "accept-2": "passed",
    }
    assert review["can_approve"] and review["target"] == "main"
    assert Path(review["gates"][0]["report"]).is_file()
