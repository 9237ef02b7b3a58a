"""`cockpit doctor` shows each agent CLI's version and login state, labels a probe that
timed out, and never says "ok providers" when no agent CLI can run; `cockpit providers`
warns about a version outside an entry's verified_versions.

The CLIs are stub executables that answer the way the real ones were seen to answer
(claude 2.1.197 `auth status` JSON, codex 0.169.0 `login status`, opencode 1.18.33
`providers list`), on a private PATH, run by the real `cockpit` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from provider_helpers import make_stub

CLAUDE = """
case "$1" in
  --version) echo "2.1.197 (Claude Code)" ;;
  auth) printf '{\\n  "loggedIn": false,\\n  "authMethod": "none",\\n  "apiProvider": "firstParty"\\n}\\n'; exit 1 ;;
esac
"""
CODEX = """
case "$1" in
  --version) echo "codex-cli 0.169.0" ;;
  login) echo "WARNING: proceeding, even though we could not create PATH aliases" >&2
         echo "Logged in using an API key - sk-proj-***ABCD" ;;
esac
"""
SLOW_VERSION = """
case "$1" in
  --version) exec sleep 30 ;;
esac
"""
OPENCODE_SLOW_LOGIN = """
case "$1" in
  --version) echo "1.18.33" ;;
  providers) exec sleep 30 ;;
esac
"""


def doctor(repo: Path, bin_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"]), "HOME": str(bin_dir.parent / "home")}
    env.pop("GEMINI_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "cockpit", "doctor", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120
    )


def rows(result: subprocess.CompletedProcess) -> dict[str, str]:
    out = {}
    for line in result.stdout.splitlines():
        if line[:4].strip() in ("ok", "warn", "FAIL"):
            status, rest = line[:4].strip(), line[6:]
            name = rest[:17].strip()
            out[name] = f"{status} {rest[17:].strip()}"
    return out


def test_doctor_shows_versions_logins_and_labels_timeouts(repo: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    make_stub(bin_dir, "claude", CLAUDE)
    make_stub(bin_dir, "codex", CODEX)
    make_stub(bin_dir, "gemini", SLOW_VERSION)
    make_stub(bin_dir, "opencode", OPENCODE_SLOW_LOGIN)
    result = doctor(repo, bin_dir, "--timeout", "1")
    found = rows(result)
    assert found["provider claude"] == "warn 2.1.197 (Claude Code); login: not logged in", result.stdout
    assert "fix: run `claude auth login`, or set ANTHROPIC_API_KEY" in result.stdout
    assert found["provider codex"] == "ok codex-cli 0.169.0; login: logged in (using an API key - sk-proj-***ABCD)"
    assert found["provider gemini"].startswith("warn version unknown: timed out after 1 s; login: not logged in")
    assert found["provider opencode"] == "warn 1.18.33; login: timed out (timed out after 1 s)"
    assert found["providers"].startswith("ok ") and "ready: codex;" in found["providers"]
    data = json.loads(doctor(repo, bin_dir, "--timeout", "1", "--json").stdout)
    assert {c["name"] for c in data} >= {"provider claude", "provider codex", "provider gemini"}


def test_doctor_does_not_say_ok_providers_when_no_cli_can_run(repo: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    make_stub(bin_dir, "claude", CLAUDE)  # installed, but not logged in
    make_stub(bin_dir, "gemini", SLOW_VERSION)  # installed, but does not answer
    result = doctor(repo, bin_dir, "--timeout", "1")
    found = rows(result)
    assert found["providers"].startswith("warn ") and "ready: none" in found["providers"], result.stdout
    assert "no agent CLI can run a task here" in found["providers"]
    assert result.returncode == 0  # a warning, not a failure: the fake provider still works


def test_providers_warns_about_an_unverified_version(repo: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    make_stub(bin_dir, "codex", CODEX)
    make_stub(bin_dir, "gemini", SLOW_VERSION)
    env = {**os.environ, "PATH": os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])}
    catalog = repo / ".cockpit" / "providers.yaml"
    catalog.parent.mkdir()

    def providers(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "cockpit", "providers", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120
        )

    catalog.write_text("providers:\n  codex:\n    verified_versions: ['0.168.0', '0.168.2']\n")
    result = providers()
    assert result.returncode == 0
    assert "warning: codex 0.169.0 is not a version its catalog entry was verified with (0.168.0, 0.168.2)" in result.stderr
    row = {s["name"]: s for s in json.loads(providers("--json").stdout)}["codex"]
    assert row["verified"] is False and row["verified_versions"] == ["0.168.0", "0.168.2"]
    gemini = [line for line in result.stdout.splitlines() if line.startswith("gemini ")][0]
    assert "(timed out after 5 s)" in gemini  # a slow --version is labelled, not "-"
    (bin_dir / "gemini").unlink()

    catalog.write_text("providers:\n  codex:\n    verified_versions: ['0.169.0']\n")
    result = providers()
    assert "warning" not in result.stderr
    assert {s["name"]: s for s in json.loads(providers("--json").stdout)}["codex"]["verified"] is True
