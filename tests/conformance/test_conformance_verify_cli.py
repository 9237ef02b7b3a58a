"""`cockpit providers verify`: its rows, exit codes and one-line refusals, as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # each test runs the cockpit CLI


def verify(*args: str, path: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path}
    return subprocess.run(
        [sys.executable, "-m", "cockpit", "providers", "verify", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_verify_claude_headless_passes_with_a_row_per_signal(cli_binaries, tmp_path: Path) -> None:
    bin_dir = str(cli_binaries.path("claude").parent)
    out = verify("claude", "--mode", "headless", path=f"{bin_dir}:{os.environ['PATH']}", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    rows = out.stdout.splitlines()
    for signal in ("ready", "delivered", "working", "exit", "edit", "usage", "gates", "approve"):
        assert any(f" {signal} " in row and " ✓ " in row for row in rows), f"{signal}:\n{out.stdout}"


def test_a_cli_that_fails_the_scenario_exits_1_naming_the_signals(tmp_path: Path) -> None:
    stub = tmp_path / "bin" / "claude"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\necho 'API Error: the stub never calls the model' >&2\nexit 3\n")
    stub.chmod(0o755)
    out = verify("claude", "--mode", "headless", path=f"{stub.parent}:{os.environ['PATH']}", cwd=tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert any(" exit " in row and "✗ exited 3" in row for row in out.stdout.splitlines()), out.stdout
    last = out.stderr.strip().splitlines()
    assert len(last) == 1 and last[0].startswith("cockpit: verify failed: claude headless: ")
    assert "exit" in last[0] and "delivered" in last[0] and "Traceback" not in out.stderr


def test_unknown_unprofiled_or_missing_clis_are_one_line_and_exit_2(tmp_path: Path) -> None:
    cases = [
        (("nosuch",), "unknown provider 'nosuch'"),
        (("fake",), "provider fake has no offline profile"),
        (("claude",), "provider claude: `claude` is not installed or not on PATH"),
    ]
    for args, message in cases:
        out = verify(*args, path="/usr/bin:/bin", cwd=tmp_path)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, out.stderr)
        assert out.stdout == ""
