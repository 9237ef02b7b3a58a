"""Bad supervisor settings (`.cockpit/config.yaml`, COCKPIT_MAX_WORKERS) when no supervisor runs yet.

The command that would start the supervisor must say what is wrong, at once, with exit
code 2, and write nothing (the state dir's files, the ledger) instead of waiting for a
supervisor that can never start.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_kit import file_list, ledger_bytes, one_clear_line


@pytest.mark.slow
@pytest.mark.parametrize("setting", ["config-max-workers-0", "env-max-workers-text"])
def test_bad_supervisor_settings_fail_at_once_with_exit_2(repo: Path, setting: str) -> None:
    env = dict(os.environ)
    assert (
        subprocess.run([sys.executable, "-m", "cockpit", "init"], check=False, cwd=repo, env=env, capture_output=True).returncode
        == 0
    )
    if setting == "env-max-workers-text":
        env["COCKPIT_MAX_WORKERS"] = "lots"
    else:
        (repo / ".cockpit").mkdir()
        (repo / ".cockpit" / "config.yaml").write_text("supervisor:\n  max_workers: 0\n")
    state = next(Path(env["COCKPIT_HOME"]).iterdir())
    before = (ledger_bytes(state), file_list(state))
    result = subprocess.run(
        [sys.executable, "-m", "cockpit", "dispatch", "@fake say hi"],
        check=False,
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        # A clear answer comes at once, not after the 20 s a client waits for a supervisor that
        # never starts; the margin is for a loaded machine (Python's start-up alone can take 3 s).
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    one_clear_line(result.stderr)
    names = {
        "env-max-workers-text": "$COCKPIT_MAX_WORKERS: supervisor.max_workers: must be a whole number, got 'lots'",
        "config-max-workers-0": ".cockpit/config.yaml:2: supervisor.max_workers:",
    }
    assert names[setting] in result.stderr, result.stderr
    assert (ledger_bytes(state), file_list(state)) == before
