"""Gate evidence: the report file, and whether a stored result is complete and current.

A gate result counts only when all three parts exist: its report file (whose
sha256 the receipt carries), its store row and its `gate_result` receipt.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cockpit.domain.gates import GateSpec
from cockpit.protocol.views import GateResultRow
from cockpit.runtime.diffs import WorktreeDiff
from cockpit.runtime.gate_runners import Outcome


def nothing_to_promote(d: Any, diff: WorktreeDiff) -> str:
    """Why an empty diff can be neither gated nor approved."""
    return f"nothing to promote: {d.id} made no changes against its base commit {diff.base[:12]}"


def write_report(directory: Path, spec: GateSpec, outcome: Outcome, diff: WorktreeDiff, dispatch_id: str) -> tuple[Path, str]:
    """Write the human-readable report durably; return (path, sha256)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"{spec.name}-{stamp}.txt"
    lines = [
        f"cockpit gate report: {spec.name} ({spec.kind}) for dispatch {dispatch_id}",
        f"status:   {outcome.status}",
        f"summary:  {outcome.summary}",
        f"base:     {diff.base}",
        f"head:     {diff.head}",
        f"tree:     {diff.tree}",
        f"diff:     sha256 {diff.sha256} ({len(diff.files)} file(s), +{diff.added} -{diff.removed})",
        f"time:     {stamp}, {outcome.duration_ms} ms",
    ]
    if spec.run:
        lines.append(f"command:  {spec.run}  (exit {outcome.exit_code})")
    if spec.provider:
        lines.append(
            f"reviewer: {spec.provider}; tokens in {outcome.tokens_in}, out {outcome.tokens_out}; "
            f"cost {outcome.cost_micro_usd} micro-USD"
        )
    lines.append("")
    if outcome.findings:
        lines.append("findings:")
        for f in outcome.findings:
            where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "-")
            lines.append(f"  [{f.severity}] {where}: {f.message}")
        lines.append("")
    lines += ["output:", outcome.output]
    data = "\n".join(lines).encode("utf-8", "replace") + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path, hashlib.sha256(data).hexdigest()


def complete(row: GateResultRow) -> bool:
    """The row's report file exists and is byte for byte what its receipt names."""
    if not row.report or not row.report_sha256 or row.status == "running":
        return False
    try:
        return hashlib.sha256(Path(row.report).read_bytes()).hexdigest() == row.report_sha256
    except OSError:
        return False


def stored_results(rows: list[GateResultRow]) -> tuple[dict[str, GateResultRow], dict[str, bool]]:
    """Each gate's stored result, and whether its evidence is complete."""
    return {row.gate: row for row in rows}, {row.gate: complete(row) for row in rows}


def evaluation_rows(results: dict[str, GateResultRow]) -> dict[str, dict[str, object]]:
    """The results as the domain's `evaluate` reads them (cockpit/domain/gates.py): each row's
    columns by name, with its findings decoded as `findings_list`."""
    return {gate: {**row.model_dump(), "findings_list": json.loads(row.findings or "[]")} for gate, row in results.items()}
