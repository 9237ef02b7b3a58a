"""`cockpit doctor`: is cockpit usable here, and if not, what to do about it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cockpit.errors import CockpitError
from cockpit.ledger.files import LedgerPaths, read_head

MIN_GIT = (2, 38)  # `git merge-tree --write-tree` (conflict checks) arrived in 2.38
MIN_TMUX = (3, 0)  # new-session with an argv, wait-for, pane-died hooks


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""
    exit_code: int = 1  # when it fails: 2 for a file the user must fix (bad input)


def _version_of(argv: list[str]) -> tuple[str | None, tuple[int, ...]]:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None, ()
    text = (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else ""
    match = re.search(r"(\d+)\.(\d+)", text)
    return text, tuple(int(x) for x in match.groups()) if match else ()


def _tool(name: str, argv: list[str], minimum: tuple[int, int], install: str) -> Check:
    if shutil.which(argv[0]) is None:
        return Check(name, "fail", f"{argv[0]} not found on PATH", install)
    text, version = _version_of(argv)
    if not version:
        return Check(name, "fail", f"could not read the version of {argv[0]} ({text!r})", install)
    wanted = ".".join(map(str, minimum))
    if version < minimum:
        return Check(name, "fail", f"{text}: cockpit needs {wanted} or newer", install)
    return Check(name, "ok", text or "")


def run_checks(cwd: Path) -> list[Check]:
    checks = [
        Check("python", "ok" if sys.version_info >= (3, 11) else "fail",
              f"Python {sys.version.split()[0]} at {sys.executable}", "install Python 3.11 or newer"),
        _tool("git", ["git", "--version"], MIN_GIT, "apt-get install git (2.38 or newer)"),
        _tool("tmux", ["tmux", "-V"], MIN_TMUX, "apt-get install tmux (3.0 or newer)"),
    ]
    from cockpit.service.workspace import Workspace

    try:
        ws = Workspace.open(cwd, create=False)
    except CockpitError as exc:
        checks.append(Check("repository", "fail", str(exc), "run cockpit inside a git repository"))
        return checks
    checks.append(Check("repository", "ok", str(ws.repo.toplevel)))
    checks.append(_state_check(ws.state.root))
    checks.extend(_catalog_checks(ws.repo.toplevel))
    checks.append(_policy_check(ws.repo.toplevel))
    return checks


def _policy_check(repo_root: Path) -> Check:
    from cockpit.runtime.policy_file import load_policy, policy_path

    try:
        policy = load_policy(repo_root)
    except CockpitError as exc:
        return Check("policy", "fail", str(exc), "fix the file named above (docs/permissions.md)", exit_code=2)
    if not policy_path(repo_root).exists():
        return Check("policy", "ok", "no .cockpit/policy.yaml: every permission request goes to the operator")
    return Check("policy", "ok", f"{len(policy.rules)} rule(s) in .cockpit/policy.yaml")


def _state_check(root: Path) -> Check:
    probe = root if root.exists() else next((p for p in root.parents if p.exists()), Path("/"))
    if not os.access(probe, os.W_OK | os.X_OK):
        return Check("state", "fail", f"{root} is not writable", "set COCKPIT_HOME to a writable directory")
    _, head = read_head(LedgerPaths(root))
    records = f"{head.seq} receipts" if head else "no receipts yet"
    where = "" if root.exists() else " (created on first use)"
    return Check("state", "ok", f"{root}{where}; {records}")


def _catalog_checks(repo_root: Path) -> list[Check]:
    try:
        from cockpit.runtime.providers import list_providers, load_catalog

        catalog = load_catalog(repo_root)
    except CockpitError as exc:
        return [Check("providers", "fail", str(exc), "fix the file named above")]
    statuses = list_providers(catalog)
    found = [s.name for s in statuses if s.found]
    missing = [s.name for s in statuses if not s.found]
    detail = f"{len(statuses)} in the catalog; found: {', '.join(found) or 'none'}"
    if missing:
        detail += f"; not installed: {', '.join(missing)}"
    return [Check("providers", "ok" if found else "warn", detail,
                  "install an agent CLI, or use the built-in `fake` provider")]
