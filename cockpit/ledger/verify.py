"""Verifying a ledger end to end in bounded memory; names the first bad record.

Reasons, in the order they are checked for each line: `unparsable`, `hash mismatch`,
`broken link`, `seq gap`; after the last line: `torn tail`, `truncated tail`,
`head mismatch`. See docs/receipts.md.

Each line's hash depends only on that line, and each link compares two stored
values, so a large ledger is checked in byte ranges on every core at once and
the ranges are then stitched together (their first and last links compared).
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from cockpit.domain.receipt import GENESIS, HASH_SUFFIX_LEN
from cockpit.ledger.files import LedgerPaths, read_head
from cockpit.ledger.lines import BadLine, inspect_line

_CHUNK = 4 << 20
_PARALLEL_FROM = 8 << 20  # smaller ledgers are checked in one process: forking costs more
_GENESIS = GENESIS.encode()


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
    bytes: int = 0  # the sound prefix: every byte up to the end of the last good record
    problem: Problem | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["problem"] = asdict(self.problem) if self.problem else None
        return out


class _Stop(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


@dataclass
class _Range:
    """What one byte range of the ledger holds, for stitching ranges together."""

    lines: int = 0
    first_prev: bytes | None = None
    first_seq: int | None = None
    last_seq: int = 0
    last_hash: bytes = _GENESIS
    repairs: int = 0
    end: int = 0  # offset just past the last sound line
    at_head: tuple[bytes, int] | None = None  # (hash, end offset) of the head's record
    problem: Problem | None = None  # line numbers relative to the range
    torn: int = 0  # bytes after the last newline (last range only)


class _Walker:
    """Checks consecutive lines; `chained` False lets a range start anywhere in the chain."""

    def __init__(self, head_seq: int | None, offset: int, chained: bool) -> None:
        self.r = _Range()
        self.seq = 0
        self.hash = _GENESIS
        self.offset = offset
        self.head_seq = head_seq
        self.chained = chained

    def _begin(self, line: bytes) -> None:
        """A range that starts mid-chain takes its first line's links on trust (checked when stitching)."""
        self.chained = True
        cut = len(line) - HASH_SUFFIX_LEN
        at = line.rfind(b',"seq":', cut - 60, cut - 34)
        digits = line[at + 7:cut - 35]
        if at > 73 and digits.isdigit():
            self.hash, self.seq = line[at - 65:at - 1], int(digits) - 1
            self.r.first_prev, self.r.first_seq = self.hash, self.seq + 1
        else:  # unparsable: the loop below names it
            self.r.first_prev, self.r.first_seq = self.hash, None

    def feed(self, lines: list[bytes]) -> None:
        if not self.chained and lines:
            self._begin(lines[0])
        sha = hashlib.sha256
        r = self.r
        prev, seq, offset, line_no = self.hash, self.seq, self.offset, r.lines
        for line in lines:
            line_no += 1
            # The hot loop: positions from the end of the line (see lines.py); any doubt goes
            # to `_fail`, which finds the precise reason.
            cut = len(line) - HASH_SUFFIX_LEN
            at = line.rfind(b',"seq":', cut - 60, cut - 34)
            link = line[at - 65:at - 1]
            digest = line[cut + 9:cut + 73]
            try:
                good = not (at < 74 or link != prev or line[cut:cut + 9] != b',"hash":"'
                            or line[at - 73:at - 65] != b'"prev":"'
                            or sha(link + line[:cut] + b"}").hexdigest().encode() != digest
                            or int(line[at + 7:cut - 35]) != seq + 1)
            except ValueError:
                good = False
            if not good:
                r.lines, r.end = line_no - 1, offset
                self._fail(line, line_no, prev, seq)
            seq += 1
            prev = digest
            offset += len(line) + 1
            if line[at - 98:at - 73] == b'"kind":"ledger_repaired",':
                r.repairs += 1
            if seq == self.head_seq:
                r.at_head = (digest, offset)
        self.hash, self.seq, self.offset, r.lines, r.end = prev, seq, offset, line_no, offset
        r.last_seq, r.last_hash = seq, prev

    def _fail(self, line: bytes, line_no: int, prev: bytes, seq: int) -> None:
        """The slow, precise path: name what is wrong with this line."""
        try:
            facts = inspect_line(line)
        except BadLine as bad:
            raise _Stop(Problem(bad.reason, line_no, bad.seq, bad.detail)) from None
        if facts.prev.encode() != prev:
            raise _Stop(Problem(
                "broken link", line_no, facts.seq,
                f"prev {facts.prev[:12]}... does not match the hash of the record before it "
                f"({prev.decode()[:12]}...)"))
        raise _Stop(Problem("seq gap", line_no, facts.seq, f"expected seq {seq + 1}, found {facts.seq}"))


def _scan(path: str, start: int, end: int, head_seq: int | None, chained: bool) -> _Range:
    walker = _Walker(head_seq, start, chained)
    pending = b""
    try:
        with open(path, "rb") as handle:
            handle.seek(start)
            left = end - start
            while left > 0 and (chunk := handle.read(min(_CHUNK, left))):
                left -= len(chunk)
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()
                walker.feed(lines)
    except _Stop as stop:
        walker.r.problem = stop.problem
        return walker.r
    walker.r.torn = len(pending)
    return walker.r


def _ranges(path: Path, size: int, parts: int) -> list[tuple[int, int]]:
    """Byte ranges that start right after a newline."""
    cuts = [0]
    with open(path, "rb") as handle:
        for k in range(1, parts):
            handle.seek(size * k // parts)
            handle.readline()
            position = handle.tell()
            if cuts[-1] < position < size:
                cuts.append(position)
    cuts.append(size)
    return list(zip(cuts, cuts[1:], strict=False))


def verify(directory: Path, *, processes: int | None = None) -> VerifyReport:
    paths = LedgerPaths(Path(directory))
    head_exists, head = read_head(paths)
    head_seq = head.seq if head else None
    try:
        size = paths.ledger.stat().st_size
    except FileNotFoundError:
        size = 0
    workers = processes or (os.cpu_count() or 1)
    if size < _PARALLEL_FROM or workers < 2:
        ranges = [_scan(str(paths.ledger), 0, size, head_seq, True)] if size else []
    else:
        spans = _ranges(paths.ledger, size, workers)
        with ProcessPoolExecutor(len(spans), mp_context=get_context("fork")) as pool:
            ranges = list(pool.map(_scan, [str(paths.ledger)] * len(spans), [s for s, _ in spans],
                                   [e for _, e in spans], [head_seq] * len(spans),
                                   [True] + [False] * (len(spans) - 1)))
    return _stitch(ranges, head_exists, head)


def _stitch(ranges: list[_Range], head_exists: bool, head: Any) -> VerifyReport:
    report = VerifyReport(ok=True)
    lines, seq, last = 0, 0, _GENESIS
    at_head: tuple[bytes, int] | None = None
    try:
        for r in ranges:
            if r.first_prev is not None and r.lines:  # a range that started mid-chain: check its first link
                if r.first_prev != last:
                    raise _Stop(Problem("broken link", lines + 1, r.first_seq,
                                        f"prev {r.first_prev.decode()[:12]}... does not match the hash of the "
                                        f"record before it ({last.decode()[:12]}...)"))
                if r.first_seq != seq + 1:
                    raise _Stop(Problem("seq gap", lines + 1, r.first_seq,
                                        f"expected seq {seq + 1}, found {r.first_seq}"))
            report.bytes = max(report.bytes, r.end)
            report.repairs += r.repairs
            if r.problem is not None:
                lines_before = lines
                seq, last = (r.last_seq, r.last_hash) if r.lines else (seq, last)
                lines += r.lines
                r.problem.line += lines_before
                raise _Stop(r.problem)
            if r.lines:
                lines, seq, last = lines + r.lines, r.last_seq, r.last_hash
            at_head = r.at_head or at_head
            if r.torn:
                raise _Stop(Problem(
                    "torn tail", lines + 1, None,
                    f"{r.torn} bytes of an unfinished record at the end (a crashed append); "
                    "the next append moves them to the quarantine file"))
        _check_head(seq, lines, at_head, head_exists, head, report)
    except _Stop as stop:
        report.ok = False
        report.problem = stop.problem
    report.records = seq
    report.last_seq = seq
    report.last_hash = last.decode()
    return report


def _check_head(seq: int, line: int, at_head: tuple[bytes, int] | None, head_exists: bool, head: Any,
                report: VerifyReport) -> None:
    if not head_exists:
        if seq:
            raise _Stop(Problem("head mismatch", line, seq, "the head record (ledger.head) is missing"))
        return
    if head is None:
        if seq:
            raise _Stop(Problem("head mismatch", line, seq, "the head record cannot be read"))
        return
    if seq < head.seq:
        raise _Stop(Problem(
            "truncated tail", line, seq,
            f"the head says the last record is seq {head.seq}, the ledger ends at seq {seq}: "
            f"{head.seq - seq} record(s) are missing"))
    if at_head is None or at_head[0].decode() != head.hash or at_head[1] != head.size:
        raise _Stop(Problem("head mismatch", line, head.seq, f"the head's hash or size does not match record {head.seq}"))
    if seq > head.seq:
        report.warnings.append(
            f"the head is {seq - head.seq} record(s) behind (a crash between write and head "
            "update); the next append catches it up")
