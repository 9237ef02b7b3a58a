"""`cockpit doctor` judges the repository's files with the same code as dispatch and the
supervisor, and knows when the supervisor cannot start: real processes, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def cockpit(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cockpit", *args], cwd=repo, capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )


def doctor(repo: Path) -> tuple[int, dict[str, dict]]:
    result = cockpit(repo, "doctor", "--json")
    return result.returncode, {c["name"]: c for c in json.loads(result.stdout)}


@pytest.mark.parametrize(
    ("file", "text", "check"),
    [
        (".cockpit/gates.yaml", "gates:\n  tests:\n    kind: command\n    run: 'true'\n    timout: 5\n", "gates"),
        (".cockpit/config.yaml", "supervisor:\n  max_workers: 0\n", "config"),
        (".cockpit/providers.yaml", "providers:\n  fake:\n    headles: {}\n", "providers"),
    ],
    ids=["gates-typo", "config-range", "providers-typo"],
)
def test_doctor_fails_a_file_exactly_as_dispatch_refuses_it(repo: Path, file: str, text: str, check: str) -> None:
    (repo / file).parent.mkdir(exist_ok=True)
    (repo / file).write_text(text)
    refused = cockpit(repo, "dispatch", "@fake say hi")
    assert refused.returncode == 2
    message = refused.stderr.strip().removeprefix("cockpit: ").split("; ")[0]
    assert message.startswith(f"{file}:") or f"/{file}:" in message.split(":")[0] + ":"
    code, checks = doctor(repo)
    assert code == 1
    assert checks[check]["status"] == "fail"
    assert message in checks[check]["detail"], (message, checks[check])
    assert checks[check]["fix"]
    shown = cockpit(repo, "doctor").stdout
    assert f"FAIL  {check:<12} " in shown and "fix:" in shown


def test_doctor_says_the_supervisor_cannot_start_when_the_store_is_ahead_of_the_ledger(repo: Path) -> None:
    assert cockpit(repo, "note", "first").returncode == 0
    state = next(Path(os.environ["COCKPIT_HOME"]).iterdir())
    saved = {name: (state / name).read_bytes() for name in ("ledger.ndjson", "ledger.head")}
    assert cockpit(repo, "note", "second").returncode == 0
    for name, data in saved.items():  # the ledger cut back behind what the store folded
        (state / name).write_bytes(data)
    code, checks = doctor(repo)
    assert code == 1 and checks["supervisor"]["status"] == "fail"
    assert "cannot start: the state store is ahead of the ledger" in checks["supervisor"]["detail"]
    assert "cockpit state rebuild" in checks["supervisor"]["fix"]
    assert cockpit(repo, "status").returncode != 0  # and indeed the supervisor cannot start
    assert cockpit(repo, "state", "rebuild").returncode == 0
    code, checks = doctor(repo)
    assert code == 0 and checks["supervisor"]["status"] == "ok"
    assert cockpit(repo, "status").returncode == 0
    cockpit(repo, "supervise", "--stop")


def test_a_clean_repository_passes_every_new_check(repo: Path) -> None:
    code, checks = doctor(repo)
    assert code == 0
    assert {checks[name]["status"] for name in ("gates", "config", "supervisor")} == {"ok"}
