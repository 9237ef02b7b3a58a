"""Verifying a ledger end to end in bounded memory; names the first bad record.

Reasons, in the order they are checked for each line: `unparsable`, `hash mismatch`,
`broken link`, `seq gap` (and `bad first record` for line 1); after the last line:
`torn tail`, `truncated tail`, `head mismatch`, `quarantine mismatch`, `anchor mismatch`.
See docs/receipts.md.

Each line's hash depends only on that line, and each link compares two stored
values, so a large ledger is checked in byte ranges on every core at once and
the ranges are then stitched together (their first and last links compared).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from pathlib import Path

from cockpit.domain.receipt import FORMAT, GENESIS, HASH_SUFFIX_LEN
from cockpit.ledger.checks import Anchor, Problem, Stop, VerifyReport, check_anchors, check_repairs
from cockpit.ledger.files import Head, LedgerPaths, read_head
from cockpit.ledger.lines import SUFFIX_LEN, BadLine, inspect_line

_CHUNK = 4 << 20
_PARALLEL_FROM = 8 << 20  # smaller ledgers are checked in one process: forking costs more
_GENESIS = GENESIS.encode()
_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_TS_SHAPE = b',"ts":"0000-00-00T00:00:00.000000Z"'
_FIRST_PREFIX = (
    b'{"actor":"cockpit","data":{"format":"' + FORMAT.encode() + b'"},"dispatch":null,'
    b'"kind":"ledger_created","prev":"' + _GENESIS + b'","seq":1,"ts":"'
)


@dataclass
class _Range:
    """What one byte range of the ledger holds, for stitching ranges together."""

    lines: int = 0
    first_prev: bytes | None = None
    first_seq: int | None = None
    last_seq: int = 0
    last_hash: bytes = _GENESIS
    repairs: list[tuple[int, bytes]] = field(default_factory=list)  # (offset, line) of each ledger_repaired
    end: int = 0  # offset just past the last sound line
    marks: dict[int, tuple[bytes, int]] = field(default_factory=dict)  # wanted seq -> (hash, end offset)
    problem: Problem | None = None  # line numbers relative to the range
    torn: int = 0  # bytes after the last newline (last range only)


class _Walker:
    """Checks consecutive lines; `chained` False lets a range start anywhere in the chain."""

    def __init__(self, wanted: frozenset[int], offset: int, chained: bool) -> None:
        self.r = _Range()
        self.seq = 0
        self.hash = _GENESIS
        self.offset = offset
        self.wanted = wanted  # the head's seq and every anchored seq: their hashes are kept
        self.kinds: set[bytes] = set()  # `,"kind":"K","prev":"` of kinds the exact check proved well-formed
        self.chained = chained

    def _begin(self, line: bytes) -> None:
        """A range that starts mid-chain takes its first line's links on trust (checked when stitching)."""
        self.chained = True
        cut = len(line) - HASH_SUFFIX_LEN
        at = line.rfind(b',"seq":', cut - 60, cut - 34)
        digits = line[at + 7 : cut - 35]
        if at > 73 and digits.isdigit():
            self.hash, self.seq = line[at - 65 : at - 1], int(digits) - 1
            self.r.first_prev, self.r.first_seq = self.hash, self.seq + 1
        else:  # unparsable: the loop below names it
            self.r.first_prev, self.r.first_seq = self.hash, None

    def feed(self, lines: list[bytes]) -> None:
        if not self.chained and lines:
            self._begin(lines[0])
        if self.offset == 0 and self.seq == 0 and lines:
            _check_first(lines[0])
        sha = hashlib.sha256
        r = self.r
        kinds, wanted = self.kinds, self.wanted
        prev, seq, offset, line_no = self.hash, self.seq, self.offset, r.lines
        for line in lines:
            line_no += 1
            # The hot loop checks the layout (lines.LAYOUT) by position from the end of the line,
            # and the hash over the bytes as written; any doubt goes to `_fail`, which is exact.
            cut = len(line) - SUFFIX_LEN
            at = line.rfind(b',"seq":', cut - 60, cut - 34)
            link = line[at - 65 : at - 1]
            kat = line.rfind(b',"kind":"', 0, at - 74)
            digest = sha(link + line[:cut] + b"}").hexdigest().encode()
            if line[kat - 17 : kat] == b'},"dispatch":null':
                end = kat - 17
            else:
                end = line.rfind(b'},"dispatch":"', 0, kat)
                if end < 0 or line[kat - 1] != 0x22 or not line[end + 14 : kat - 1].isalnum():
                    end = 0  # not the common shape (a letters-and-digits id): the exact check decides
            if (
                at < 75
                or link != prev
                or line[kat : at - 65] not in kinds
                or line[at - 1 : cut - 35] != b'","seq":%d' % (seq + 1)
                or line[cut - 35 : cut].translate(_DIGITS) != _TS_SHAPE
                or line[cut:] != b',"hash":"' + digest + b'"}'
                or line.find(b'","data":{', 10, end) < 10
                or line[:10] != b'{"actor":"'
            ):
                r.lines, r.end = line_no - 1, offset
                kinds.add(self._fail(line, line_no, prev, seq))
            seq += 1
            prev = digest
            if seq in wanted:
                r.marks[seq] = (digest, offset + len(line) + 1)
            if line[kat : kat + 25] == b',"kind":"ledger_repaired"':
                r.repairs.append((offset, line))
            offset += len(line) + 1
        self.hash, self.seq, self.offset, r.lines, r.end = prev, seq, offset, line_no, offset
        r.last_seq, r.last_hash = seq, prev

    def _fail(self, line: bytes, line_no: int, prev: bytes, seq: int) -> bytes:
        """The slow, exact path: return if the line is sound after all, else name what is wrong."""
        try:
            facts = inspect_line(line)
        except BadLine as bad:
            raise Stop(Problem(bad.reason, line_no, bad.seq, bad.detail)) from None
        if facts.prev.encode() != prev:
            raise Stop(
                Problem(
                    "broken link",
                    line_no,
                    facts.seq,
                    f"prev {facts.prev[:12]}... does not match the hash of the record before it ({prev.decode()[:12]}...)",
                )
            )
        if facts.seq != seq + 1:
            raise Stop(Problem("seq gap", line_no, facts.seq, f"expected seq {seq + 1}, found {facts.seq}"))
        return b',"kind":"' + facts.kind.encode() + b'","prev":"'  # proven sound: the fast path may trust it


def _check_first(line: bytes) -> None:
    """The first record is `ledger_created` with the format (after the line itself proves sound)."""
    if line.startswith(_FIRST_PREFIX):
        return
    try:
        facts = inspect_line(line)
    except BadLine as bad:
        raise Stop(Problem(bad.reason, 1, bad.seq, bad.detail)) from None
    if facts.prev != GENESIS:
        raise Stop(Problem("broken link", 1, facts.seq, "the first record's prev is not 64 zeros"))
    if facts.seq != 1:
        raise Stop(Problem("seq gap", 1, facts.seq, f"expected seq 1, found {facts.seq}"))
    raise Stop(
        Problem(
            "bad first record",
            1,
            facts.seq,
            f"the first record is {facts.kind!r}, not ledger_created with data "
            f'{{"format":"{FORMAT}"}} by cockpit: records before it were removed',
        )
    )


def _scan(path: str, start: int, end: int, wanted: frozenset[int], chained: bool) -> _Range:
    walker = _Walker(wanted, start, chained)
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
    except Stop as stop:
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


def verify(directory: Path, *, processes: int | None = None, anchors: Iterable[Anchor] = (), niceness: int = 0) -> VerifyReport:
    """Check the chain, the head, the repairs against the quarantine file, and each anchor given.

    `niceness`: added to the worker processes' (a rebuild's fold, one process beside them, is
    the longer path: it keeps a core while they share the rest, and take it back when it ends)."""
    paths = LedgerPaths(Path(directory))
    anchors = list(anchors)
    head_exists, head = read_head(paths)
    wanted = frozenset([head.seq] if head else []) | {a.seq for a in anchors}
    try:
        size = paths.ledger.stat().st_size
    except FileNotFoundError:
        size = 0
    workers = processes or (os.cpu_count() or 1)
    if size < _PARALLEL_FROM or workers < 2:
        ranges = [_scan(str(paths.ledger), 0, size, wanted, True)] if size else []
    else:
        spans = _ranges(paths.ledger, size, workers)
        with ProcessPoolExecutor(
            len(spans), mp_context=get_context("fork"), initializer=partial(os.nice, niceness) if niceness else None
        ) as pool:
            ranges = list(
                pool.map(
                    _scan,
                    [str(paths.ledger)] * len(spans),
                    [s for s, _ in spans],
                    [e for _, e in spans],
                    [wanted] * len(spans),
                    [True] + [False] * (len(spans) - 1),
                )
            )
    return _stitch(ranges, paths, head_exists, head, anchors)


def _stitch(
    ranges: list[_Range], paths: LedgerPaths, head_exists: bool, head: Head | None, anchors: list[Anchor]
) -> VerifyReport:
    report = VerifyReport(ok=True)
    lines, seq, last = 0, 0, _GENESIS
    marks: dict[int, tuple[bytes, int]] = {}
    repairs: list[tuple[int, bytes]] = []
    try:
        for r in ranges:
            if r.first_prev is not None and r.lines:  # a range that started mid-chain: check its first link
                if r.first_prev != last:
                    raise Stop(
                        Problem(
                            "broken link",
                            lines + 1,
                            r.first_seq,
                            f"prev {r.first_prev.decode()[:12]}... does not match the hash of the "
                            f"record before it ({last.decode()[:12]}...)",
                        )
                    )
                if r.first_seq != seq + 1:
                    raise Stop(Problem("seq gap", lines + 1, r.first_seq, f"expected seq {seq + 1}, found {r.first_seq}"))
            report.bytes = max(report.bytes, r.end)
            repairs += r.repairs
            marks.update(r.marks)
            if r.problem is not None:
                lines_before = lines
                seq, last = (r.last_seq, r.last_hash) if r.lines else (seq, last)
                lines += r.lines
                r.problem.line += lines_before
                raise Stop(r.problem)
            if r.lines:
                lines, seq, last = lines + r.lines, r.last_seq, r.last_hash
            if r.torn:
                raise Stop(
                    Problem(
                        "torn tail",
                        lines + 1,
                        None,
                        f"{r.torn} bytes of an unfinished record at the end (a crashed append); "
                        "the next append moves them to the quarantine file",
                    )
                )
        _check_head(seq, lines, marks.get(head.seq) if head else None, head_exists, head, report)
        check_repairs(repairs, paths, report)
        check_anchors(anchors, seq, marks, report)
    except Stop as stop:
        report.ok = False
        report.problem = stop.problem
    report.repairs = len(repairs)
    report.records = seq
    report.last_seq = seq
    report.last_hash = last.decode()
    return report


def _check_head(
    seq: int, line: int, at_head: tuple[bytes, int] | None, head_exists: bool, head: Head | None, report: VerifyReport
) -> None:
    if not head_exists:
        if seq:
            raise Stop(Problem("head mismatch", line, seq, "the head record (ledger.head) is missing"))
        return
    if head is None:
        if seq:
            raise Stop(Problem("head mismatch", line, seq, "the head record cannot be read"))
        return
    if seq < head.seq:
        raise Stop(
            Problem(
                "truncated tail",
                line,
                seq,
                f"the head says the last record is seq {head.seq}, the ledger ends at seq {seq}: "
                f"{head.seq - seq} record(s) are missing",
            )
        )
    if head.seq == 0:
        at_head = (_GENESIS, 0)
    if at_head is None or at_head[0].decode() != head.hash or at_head[1] != head.size:
        raise Stop(Problem("head mismatch", line, head.seq, f"the head's hash or size does not match record {head.seq}"))
    if seq > head.seq and head.next != report.bytes:
        announced = f"the append under way was to end at byte {head.next}" if head.next else "no append announced"
        raise Stop(
            Problem(
                "unannounced tail",
                head.seq + 1,
                head.seq + 1,
                f"{seq - head.seq} record(s) follow the head's last record but {announced} (the ledger's records end "
                f"at byte {report.bytes}): a batch torn by a crash, or records forged onto the tail; the next append "
                "quarantines them",
            )
        )
    if seq > head.seq:
        report.head_lag = seq - head.seq
        report.warnings.append(
            f"the head is {seq - head.seq} record(s) behind (a crash between the ledger's write and the head's "
            "update); the next append catches it up"
        )
