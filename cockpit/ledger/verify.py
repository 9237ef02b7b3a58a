"""Verifying a ledger end to end in bounded memory; names the first bad record.

Reasons, in the order they are checked for each line: `unparsable`, `hash mismatch`,
`broken link`, `seq gap`; after the last line: `torn tail`, `truncated tail`,
`head mismatch`. See docs/receipts.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cockpit.domain.receipt import GENESIS
from cockpit.ledger.files import LedgerPaths, read_head
from cockpit.ledger.lines import BadLine, inspect_line

_CHUNK = 4 << 20
_REPAIRED = b',"kind":"ledger_repaired","prev":"'


@dataclass
class Problem:
    reason: str
    line: int
    seq: int | None
    detail: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" (seq {self.seq})" if self.seq is not None else "")
        return f"{where}: {self.reason}: {self.detail}"


@dataclass
class VerifyReport:
    ok: bool
    records: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    repairs: int = 0
    bytes: int = 0
    problem: Problem | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["problem"] = asdict(self.problem) if self.problem else None
        return out


class _Stop(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _Walker:
    """Carries the chain state across lines."""

    def __init__(self, head_seq: int | None) -> None:
        self.line_no = 0
        self.seq = 0
        self.hash = GENESIS
        self.repairs = 0
        self.offset = 0
        self.head_seq = head_seq
        self.at_head: tuple[str, int] | None = None  # (hash, end offset) of record head_seq

    def feed(self, lines: list[bytes]) -> None:
        inspect = inspect_line
        for line in lines:
            self.line_no += 1
            try:
                facts = inspect(line)
            except BadLine as bad:
                raise _Stop(Problem(bad.reason, self.line_no, bad.seq, bad.detail)) from None
            if facts.prev != self.hash:
                raise _Stop(Problem(
                    "broken link", self.line_no, facts.seq,
                    f"prev {facts.prev[:12]}... does not match the hash of the record before it "
                    f"({self.hash[:12]}...)",
                ))
            if facts.seq != self.seq + 1:
                raise _Stop(Problem(
                    "seq gap", self.line_no, facts.seq, f"expected seq {self.seq + 1}, found {facts.seq}"
                ))
            self.seq = facts.seq
            self.hash = facts.hash
            self.offset += len(line) + 1
            if _REPAIRED in line:
                self.repairs += 1
            if facts.seq == self.head_seq:
                self.at_head = (facts.hash, self.offset)


def verify(directory: Path) -> VerifyReport:
    paths = LedgerPaths(Path(directory))
    head_exists, head = read_head(paths)
    walker = _Walker(head.seq if head else None)
    report = VerifyReport(ok=True)
    pending = b""
    try:
        try:
            handle = open(paths.ledger, "rb")
        except FileNotFoundError:
            handle = None
        if handle is not None:
            with handle:
                while chunk := handle.read(_CHUNK):
                    report.bytes += len(chunk)
                    lines = (pending + chunk).split(b"\n")
                    pending = lines.pop()
                    walker.feed(lines)
        if pending:
            raise _Stop(Problem(
                "torn tail", walker.line_no + 1, None,
                f"{len(pending)} bytes of an unfinished record at the end (a crashed append); "
                "the next append moves them to the quarantine file",
            ))
        _check_head(walker, head_exists, head, report)
    except _Stop as stop:
        report.ok = False
        report.problem = stop.problem
    report.records = walker.seq
    report.last_seq = walker.seq
    report.last_hash = walker.hash
    report.repairs = walker.repairs
    return report


def _check_head(walker: _Walker, head_exists: bool, head: Any, report: VerifyReport) -> None:
    line = walker.line_no
    if not head_exists:
        if walker.seq:
            raise _Stop(Problem("head mismatch", line, walker.seq, "the head record (ledger.head) is missing"))
        return
    if head is None:
        if walker.seq:
            raise _Stop(Problem("head mismatch", line, walker.seq, "the head record cannot be read"))
        return
    if walker.seq < head.seq:
        raise _Stop(Problem(
            "truncated tail", line, walker.seq,
            f"the head says the last record is seq {head.seq}, the ledger ends at seq {walker.seq}: "
            f"{head.seq - walker.seq} record(s) are missing",
        ))
    if walker.at_head is None or walker.at_head[0] != head.hash or walker.at_head[1] != head.size:
        raise _Stop(Problem(
            "head mismatch", line, head.seq,
            f"the head's hash or size does not match record {head.seq}",
        ))
    if walker.seq > head.seq:
        report.warnings.append(
            f"the head is {walker.seq - head.seq} record(s) behind (a crash between write and head "
            "update); the next append catches it up"
        )
