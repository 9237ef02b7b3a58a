"""What makes one ledger line a record: its layout (a regex) and its hash over the bytes on disk.

The layout is normative (docs/receipts.md states the same pattern): the eight members in
their canonical order, `data` taken as the bytes between `"data":` and the last
`,"dispatch":`, which the hash covers like any other byte and which a verifier does not
parse. `inspect_line` is the exact, slow check; the verifier's hot loop checks the same
things by position and sends any doubt here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

LAYOUT = re.compile(
    rb'\{"actor":".*","data":\{.*\},"dispatch":(?:null|"(?:[^"\\]|\\.)*"),"kind":"([a-z][a-z0-9]*(?:_[a-z0-9]+)*)",'
    rb'"prev":"([0-9a-f]{64})","seq":([1-9][0-9]*),"ts":"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:'
    rb'[0-9]{2}\.[0-9]{6}Z)","hash":"([0-9a-f]{64})"\}',
    re.S,
)
SUFFIX_LEN = len(',"hash":"') + 64 + len('"}')  # 75: the line (without its newline) minus its body's "}"


@dataclass(frozen=True, slots=True)
class LineFacts:
    seq: int
    prev: str
    hash: str
    kind: str


class BadLine(Exception):
    """A line that is not a sound record; `reason` is one of the documented reasons."""

    def __init__(self, reason: str, detail: str, seq: int | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.seq = seq


def _why_not(line: bytes) -> str:
    """Which part of the layout a line misses (for the message only)."""
    for member, pattern in (
        (b"hash", rb',"hash":"[0-9a-f]{64}"\}$'),
        (b"ts", rb'"ts":"[^"]{27}","hash"'),
        (b"seq", rb',"seq":[1-9][0-9]*,"ts"'),
        (b"prev", rb'"prev":"[0-9a-f]{64}","seq"'),
        (b"kind", rb'"kind":"[a-z][a-z0-9_]*","prev"'),
        (b"dispatch", rb'\},"dispatch":'),
        (b"data", rb'","data":\{'),
        (b"actor", rb'^\{"actor":"'),
    ):
        if not re.search(pattern, line, re.S):
            return f"the {member.decode()} member is missing or misshapen"
    return "the members are not exactly actor, data, dispatch, kind, prev, seq, ts, hash in that layout"


def inspect_line(line: bytes) -> LineFacts:
    """Facts of a line (no trailing newline) whose layout and hash check out, or raise BadLine."""
    match = LAYOUT.fullmatch(line)
    if match is None:
        found = re.search(rb',"seq":([0-9]{1,15}),"ts":"', line)
        raise BadLine("unparsable", _why_not(line), int(found.group(1)) if found else None)
    kind, prev, seq_text, _ts, digest = match.groups()
    seq = int(seq_text)
    actual = hashlib.sha256(prev + line[:-SUFFIX_LEN] + b"}").hexdigest()
    if actual.encode() != digest:
        raise BadLine("hash mismatch", f"stored hash {digest[:12].decode()}... but content hashes to {actual[:12]}...", seq)
    return LineFacts(seq=seq, prev=prev.decode(), hash=digest.decode(), kind=kind.decode())
