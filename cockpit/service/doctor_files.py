"""`cockpit doctor`, the repository's side: its files and whether a supervisor can start.

Each file is loaded by the very function that uses it (dispatch and the supervisor), so
doctor passes exactly what they accept and fails, with the same `file:line: field:
message`, on what they refuse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cockpit.errors import CockpitError
from cockpit.service.doctor import Check


def repository_file_checks(ws: Any) -> list[Check]:
    return [_gates_check(ws.repo.toplevel), _config_check(ws.repo.toplevel), _supervisor_check(ws)]


def _gates_check(repo_root: Path) -> Check:
    from cockpit.runtime.gate_config import gates_path, load_gates

    path = gates_path(repo_root)
    try:
        config = load_gates(repo_root)  # what `cockpit dispatch` and the gate runs use
    except CockpitError as exc:
        return Check("gates", "fail", str(exc), "edit that line; until then every dispatch is refused")
    if not path.exists():
        return Check(
            "gates",
            "ok",
            f"no {path.relative_to(repo_root)}: the built-in scope and conflicts gates, and each task's acceptance commands",
        )
    names = ", ".join(sorted(config.named()))
    return Check("gates", "ok", f"{path.relative_to(repo_root)}: {names}")


def _config_check(repo_root: Path) -> Check:
    from cockpit.service.settings import config_path, load_config

    path = config_path(repo_root)
    try:
        config = load_config(repo_root)  # what the supervisor reads when it starts
    except CockpitError as exc:
        return Check(
            "config", "fail", str(exc), "edit that setting (docs/architecture.md lists them); until then no supervisor can start"
        )
    where = path.relative_to(repo_root) if path.exists() else "defaults (no .cockpit/config.yaml)"
    s = config.supervisor
    return Check("config", "ok", f"{where}: max_workers {s.max_workers}, gate_concurrency {s.gate_concurrency}")


def _supervisor_check(ws: Any) -> Check:
    from cockpit.service.client import SupervisorClient, supervisor_answers
    from cockpit.store.db import ledger_disagreement

    if supervisor_answers(ws):
        try:
            pid = SupervisorClient(ws, autostart=False).call("ping")["pid"]
        except CockpitError as exc:
            return Check(
                "supervisor", "warn", f"it is running but did not answer a ping: {exc}", f"see {ws.state.supervisor_log}"
            )
        return Check("supervisor", "ok", f"running (pid {pid})")
    try:
        problem = ledger_disagreement(ws.state.db_path, ws.state.ledger_dir)
    except CockpitError as exc:
        problem = str(exc)
    if problem:
        return Check(
            "supervisor",
            "fail",
            f"cannot start: {problem}",
            "run `cockpit receipts verify` (the ledger is the record), then `cockpit state rebuild`",
        )
    holder = _lock_holder(ws.state.supervisor_lock)
    if holder:
        return Check(
            "supervisor",
            "warn",
            f"process {holder} holds the supervisor lock but does not answer",
            f"wait a moment, or see {ws.state.supervisor_log}",
        )
    return Check("supervisor", "ok", "not running; it starts on demand (the store and the ledger agree)")


def _lock_holder(lock: Path) -> str | None:
    import fcntl
    import os

    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
    finally:
        os.close(fd)
    return None
