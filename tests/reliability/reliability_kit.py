"""Shared by the reliability suite: snapshots of everything cockpit may write, and store comparisons.

"Nothing is written anywhere" is checked by comparing `everything()` before and
after: the ledger's bytes, the store's rows, git's refs, branches and worktrees,
and the list of files in the state directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECTION = ("dispatches", "notes", "gate_results", "approvals")


def store_rows(db_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the projection tables, read through a read-only connection."""
    if not db_path.exists():
        return {}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return {table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for table in PROJECTION}
    finally:
        conn.close()


def rebuilt_rows(ledger_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The projection a fresh store folds from a copy of the ledger (the live one is not touched)."""
    from cockpit.store import Store

    with tempfile.TemporaryDirectory(prefix="cockpit-rebuild-") as tmp:
        copy = Path(tmp)
        for name in ("ledger.ndjson", "ledger.head"):
            if (ledger_dir / name).exists():
                shutil.copyfile(ledger_dir / name, copy / name)
        store = Store(copy / "state.db", copy)
        try:
            store.rebuild()
        finally:
            store.close()
        return store_rows(copy / "state.db")


def live_rows(ws: Any) -> dict[str, list[tuple[Any, ...]]]:
    ws.store.catch_up()
    return store_rows(ws.state.db_path)


def git_state(repo: Path) -> dict[str, str]:
    def run(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout

    return {
        "refs": run("for-each-ref", "--format=%(refname) %(objectname)"),
        "worktrees": run("worktree", "list", "--porcelain"),
        "status": run("status", "--porcelain=v2", "--untracked-files=all", "--ignored"),
    }


def file_list(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) + ("/" if p.is_dir() else "") for p in root.rglob("*"))


def ledger_bytes(state_root: Path) -> tuple[str, str]:
    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"

    return digest(state_root / "ledger.ndjson"), digest(state_root / "ledger.head")


def everything(repo: Path, state_root: Path) -> dict[str, Any]:
    return {
        "ledger": ledger_bytes(state_root),
        "store": store_rows(state_root / "state.db"),
        "git": git_state(repo),
        "state_files": file_list(state_root),
    }


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out = []
    for key, old in before.items():
        new = after[key]
        if old != new:
            if key == "state_files":
                added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
                out.append(f"state dir files: added {added[:8]}, removed {removed[:8]}")
            elif key == "git":
                out.extend(f"git {part} changed" for part in old if old[part] != new[part])
            else:
                out.append(f"{key} changed")
    return out


def committed_prefix(state_root: Path) -> bytes:
    """The ledger bytes its head vouches for (what no crash may ever take back)."""
    from cockpit.ledger.files import LedgerPaths, read_head

    paths = LedgerPaths(state_root)
    _, head = read_head(paths)
    data = paths.ledger.read_bytes() if paths.ledger.exists() else b""
    return data if head is None else data[: head.size]


def wait_gone(pid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} is still alive")


def sigkill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def one_clear_line(stderr: str) -> None:
    """What bad input must produce: one line, no traceback, no internal error."""
    text = stderr.strip()
    assert text, "no message at all"
    assert "Traceback" not in text and "internal error" not in text, text
    assert len(text.splitlines()) == 1, f"more than one line: {text!r}"


def mount(*args: str) -> bool:
    """Run mount(8); False when this machine does not let us (then the test skips, saying why)."""
    try:
        return subprocess.run(["mount", *args], check=False, capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


def umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)
