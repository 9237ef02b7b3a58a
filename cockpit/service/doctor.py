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


def run_checks(cwd: Path, probe_timeout: float | None = None) -> list[Check]:
    checks = [
        Check(
            "python",
            "ok" if sys.version_info >= (3, 11) else "fail",
            f"Python {sys.version.split()[0]} at {sys.executable}",
            "install Python 3.11 or newer",
        ),
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
    checks.extend(_catalog_checks(ws.repo.toplevel, probe_timeout or PROBE_TIMEOUT_S))
    from cockpit.service.doctor_files import repository_file_checks

    checks.extend(repository_file_checks(ws))
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


# Providers that are not agent CLIs: they run, but no model does any work through them.
NOT_AGENTS = frozenset({"fake", "shell"})
PROBE_TIMEOUT_S = 10.0


def _catalog_checks(repo_root: Path, timeout: float = PROBE_TIMEOUT_S) -> list[Check]:
    """One row per installed agent CLI (version, login state), then a summary row.

    Every probe runs in parallel with a time limit; a probe that outlives it says so."""
    from concurrent.futures import ThreadPoolExecutor

    try:
        from cockpit.runtime.login_probes import probe_login
        from cockpit.runtime.providers import list_providers, load_catalog, resolve_binary

        catalog = load_catalog(repo_root)
    except CockpitError as exc:
        return [Check("providers", "fail", str(exc), "fix the file named above")]
    agents = [catalog.get(n) for n in catalog.names() if n not in NOT_AGENTS]
    prefixes = {p.name: resolve_binary(p) for p in agents}
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(agents)))) as pool:
        logins = {
            p.name: pool.submit(probe_login, p, prefix, timeout) for p in agents if (prefix := prefixes[p.name]) is not None
        }
        statuses = list_providers(catalog, timeout=timeout)
        login_of = {name: future.result() for name, future in logins.items()}
    checks: list[Check] = []
    ready: list[str] = []
    for s in statuses:
        if s.name in NOT_AGENTS or not s.found:
            continue
        login = login_of.get(s.name)
        version = s.version or f"version unknown: {s.version_error}"
        said = (
            "not checked (no known way to ask this CLI)"
            if login is None
            else (login.text() if login.state in ("logged in", "timed out", "unknown") else login.state)
        )
        detail = f"{version}; login: {said}"
        if s.verified is False:
            detail += f"; not a verified version ({', '.join(s.verified_versions)})"
        status, fix = "ok", ""
        if s.version is None:
            status, fix = "warn", f"`{s.binary} {' '.join(catalog.get(s.name).version_args)}` did not answer"
        elif login is not None and login.state != "logged in":
            status, fix = "warn", login.detail if login.state == "not logged in" else "check its login by hand"
        else:
            ready.append(s.name)
        checks.append(Check(f"provider {s.name}", status, detail, fix))
    missing = [s.name for s in statuses if not s.found and s.name not in NOT_AGENTS]
    detail = f"{len(statuses)} in the catalog; ready: {', '.join(ready) or 'none'}"
    if missing:
        detail += f"; not installed: {', '.join(missing)}"
    if ready:
        checks.append(Check("providers", "ok", detail))
    else:
        checks.append(
            Check(
                "providers",
                "warn",
                detail + "; no agent CLI can run a task here (the built-in `fake` provider still works)",
                "install an agent CLI and log in to it",
            )
        )
    return checks
