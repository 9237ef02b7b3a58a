"""File names of a ledger and the small fixed-size head record kept beside it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

HEAD_FORMAT = "cockpit-ledger-head/1"
HEAD_SIZE = 256  # fixed, so each update is one pwrite at offset 0 that never changes size


@dataclass(frozen=True)
class LedgerPaths:
    directory: Path

    @property
    def ledger(self) -> Path:
        return self.directory / "ledger.ndjson"

    @property
    def head(self) -> Path:
        return self.directory / "ledger.head"

    @property
    def lock(self) -> Path:
        return self.directory / "ledger.lock"

    @property
    def quarantine(self) -> Path:
        return self.directory / "ledger.quarantine"


@dataclass(frozen=True)
class Head:
    """What the last successful append left: its seq, its hash, the ledger's size after it."""

    seq: int
    hash: str
    size: int
    next: int | None = None  # set while a batch of records is being written: the size it will reach

    def encode(self) -> bytes:
        fields = {"format": HEAD_FORMAT, "hash": self.hash, "seq": self.seq, "size": self.size}
        if self.next is not None:
            fields["next"] = self.next
        raw = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("ascii")
        return raw + b" " * (HEAD_SIZE - len(raw) - 1) + b"\n"


def decode_head(raw: bytes) -> Head | None:
    """The head in `raw`, or None when it is absent, empty or unreadable."""
    text = raw.strip(b" \n\x00")
    if not text:
        return None
    try:
        obj = json.loads(text)
        if obj.get("format") != HEAD_FORMAT:
            return None
        pending = obj.get("next")
        return Head(
            seq=int(obj["seq"]), hash=str(obj["hash"]), size=int(obj["size"]), next=None if pending is None else int(pending)
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def read_head(paths: LedgerPaths) -> tuple[bool, Head | None]:
    """(exists, head). A head file that exists but cannot be read gives (True, None)."""
    try:
        raw = paths.head.read_bytes()
    except FileNotFoundError:
        return False, None
    return True, decode_head(raw)


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
