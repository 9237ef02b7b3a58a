"""Checking one ledger line by position, without a JSON parse (the verifier's hot path).

A canonical body ends with `"prev":"<64 hex>","seq":<int>,"ts":"<27 chars>"}` because
its keys are sorted and these three sort last; the line adds `,"hash":"<64 hex>"`
before the final brace. So seq, prev and hash are found by offsets from the end.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cockpit.domain.receipt import split_line

_TS_TAIL = len('"ts":"') + 27 + len('"}')  # 35 bytes
_PREV_KEY = b'"prev":"'
_SEQ_KEY = b',"seq":'
_HEX = frozenset(b"0123456789abcdef")


@dataclass(frozen=True, slots=True)
class LineFacts:
    seq: int
    prev: str
    hash: str


class BadLine(Exception):
    """A line that is not a sound record; `reason` is one of the documented reasons."""

    def __init__(self, reason: str, detail: str, seq: int | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.seq = seq


def inspect_line(line: bytes) -> LineFacts:
    """Facts of a line (no trailing newline) whose hash checks out, or raise BadLine."""
    parts = split_line(line)
    if parts is None:
        raise BadLine("unparsable", "line does not end with a hash field")
    body, digest = parts
    ts_at = len(body) - _TS_TAIL
    if ts_at < 0 or body[ts_at : ts_at + 6] != b'"ts":"':
        raise BadLine("unparsable", "ts field is missing or misshapen")
    seq_at = body.rfind(_SEQ_KEY, 0, ts_at)
    if seq_at < 0 or body[ts_at - 1 : ts_at] != b",":
        raise BadLine("unparsable", "seq field is missing")
    seq_text = body[seq_at + len(_SEQ_KEY) : ts_at - 1]
    if not seq_text.isdigit():
        raise BadLine("unparsable", "seq is not a non-negative integer")
    seq = int(seq_text)
    prev_at = seq_at - 1 - 64 - len(_PREV_KEY)
    if prev_at < 0 or body[prev_at : prev_at + len(_PREV_KEY)] != _PREV_KEY or body[seq_at - 1] != 0x22:
        raise BadLine("unparsable", "prev field is missing", seq)
    prev_raw = body[prev_at + len(_PREV_KEY) : seq_at - 1]
    if not _HEX.issuperset(prev_raw):
        raise BadLine("unparsable", "prev is not 64 lowercase hex characters", seq)
    prev = prev_raw.decode("ascii")
    actual = hashlib.sha256(prev_raw + body).hexdigest()
    if actual != digest:
        raise BadLine("hash mismatch", f"stored hash {digest[:12]}... but content hashes to {actual[:12]}...", seq)
    return LineFacts(seq=seq, prev=prev, hash=digest)
