"""Helpers of the review-loop tests: the receipts table of docs/receipts.md, git, the log."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "receipts.md"


def documented_fields() -> dict[str, set[str]]:
    """docs/receipts.md's table: kind -> every backticked word of its data column."""
    out: dict[str, set[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            out[cells[0].strip("`")] = set(re.findall(r"`([a-z_0-9]+)`", cells[2]))
    return out


def assert_documented(receipts: list) -> None:
    """Every receipt's data members are named in its row of docs/receipts.md."""
    fields = documented_fields()
    for r in receipts:
        assert r.kind in fields, f"{r.kind} is not in docs/receipts.md"
        assert set(r.data) <= fields[r.kind], (r.kind, set(r.data) - fields[r.kind])


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def results(log: Path) -> list[dict]:
    """The result lines (claude's and the fake agent's) in a worker's log, oldest first."""
    out = []
    for line in log.read_text(errors="replace").splitlines():
        line = line.strip()
        if line.startswith("{") and '"type":"result"' in line:
            out.append(json.loads(line))
    return out


def wait_for_kind_after(cockpit, dispatch_id: str, after: str, kind: str, timeout: float = 60, **data) -> list:
    """Wait until a `kind` receipt (with `data`) follows the last `after` receipt of the dispatch."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        receipts = cockpit.receipts(dispatch_id)
        starts = [i for i, r in enumerate(receipts) if r.kind == after]
        if starts and any(r.kind == kind and all(r.data.get(k) == v for k, v in data.items()) for r in receipts[starts[-1] :]):
            return receipts
        assert time.monotonic() < deadline, f"no {kind} {data} after {after}: {[r.kind for r in receipts]}"
        time.sleep(0.1)
