"""What the verifier reports, and the checks made after the chain is walked: repairs, anchors.

Both use what the walk collected on its way (the lines of `ledger_repaired` receipts, the
hashes of anchored records), so neither reads the ledger a second time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from cockpit.domain.json_value import JsonObject
from cockpit.domain.receipt import GENESIS
from cockpit.ledger.files import LedgerPaths


@dataclass
class Problem:
    reason: str
    line: int
    seq: int | None
    detail: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" (seq {self.seq})" if self.seq is not None else "")
        return f"{where}: {self.reason}: {self.detail}"


@dataclass(frozen=True)
class Anchor:
    """A (seq, hash) of this ledger kept somewhere else; `name` says where, for messages."""

    name: str
    seq: int
    hash: str


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
    head_lag: int = 0  # records past the head (an error under --strict)
    anchors: int = 0  # anchors checked (all agreed when ok)
    last_anchor: str | None = None  # the newest anchor's name
    after_last_anchor: int | None = None  # records after the newest anchor (None: no anchor)

    def to_json(self) -> JsonObject:
        out = asdict(self)
        out["problem"] = asdict(self.problem) if self.problem else None
        return out


class Stop(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def check_repairs(repairs: list[tuple[int, bytes]], paths: LedgerPaths, report: VerifyReport) -> None:
    """Each `ledger_repaired` receipt names bytes in the quarantine file: they must be there, unchanged."""
    missing = 0
    for _offset, line in repairs:
        record = json.loads(line)
        data, seq = record["data"], record["seq"]
        try:
            name, start, length, digest = (data["quarantine_file"], data["quarantine_offset"], data["length"], data["sha256"])
        except (KeyError, TypeError):
            raise Stop(
                Problem(
                    "quarantine mismatch",
                    seq,
                    seq,
                    "a ledger_repaired receipt without quarantine_file, quarantine_offset, length and sha256",
                )
            ) from None
        if not isinstance(name, str) or "/" in name or name in ("", ".", ".."):
            raise Stop(
                Problem("quarantine mismatch", seq, seq, f"quarantine_file {name!r} is not a file name in the state directory")
            )
        try:
            with open(paths.directory / name, "rb") as handle:
                handle.seek(start)
                raw = handle.read(length)
        except FileNotFoundError:
            missing += 1
            continue
        if len(raw) != length or hashlib.sha256(raw).hexdigest() != digest:
            raise Stop(
                Problem(
                    "quarantine mismatch",
                    seq,
                    seq,
                    f"{name} holds {len(raw)} byte(s) at offset {start} hashing to "
                    f"{hashlib.sha256(raw).hexdigest()[:12]}...; the receipt says {length} byte(s), "
                    f"sha256 {str(digest)[:12]}...",
                )
            )
    if missing:
        report.warnings.append(f"{missing} repair receipt(s) not checked: their quarantine file is missing")


def check_anchors(anchors: list[Anchor], seq: int, marks: dict[int, tuple[bytes, int]], report: VerifyReport) -> None:
    """Every anchor must name a record of this chain with that record's hash; the lowest disagreement wins."""
    for anchor in sorted(anchors, key=lambda a: a.seq):
        if anchor.seq == 0:
            found = GENESIS if anchor.hash == GENESIS else None
        elif anchor.seq > seq:
            raise Stop(
                Problem(
                    "anchor mismatch",
                    seq,
                    seq,
                    f"{anchor.name} names record {anchor.seq} (hash {anchor.hash[:12]}...) but the ledger ends at "
                    f"seq {seq}: records were cut off or the ledger was replaced",
                )
            )
        else:
            found = marks[anchor.seq][0].decode()
        if found != anchor.hash:
            raise Stop(
                Problem(
                    "anchor mismatch",
                    anchor.seq,
                    anchor.seq,
                    f"{anchor.name} says record {anchor.seq} has hash {anchor.hash[:12]}..., the ledger's record "
                    f"{anchor.seq} hashes to {(found or '?')[:12]}...: this record or one before it was rewritten",
                )
            )
    report.anchors = len(anchors)
    if anchors:
        newest = max(anchors, key=lambda a: a.seq)
        report.last_anchor = newest.name
        report.after_last_anchor = seq - newest.seq
