"""Anchors kept outside the state directory: commit trailers and signed checkpoints (formats only).

A trailer line `Cockpit-Ledger: <seq> <hash>` in a promotion commit's message, and a
checkpoint file in the style of transparency-log checkpoints:

    <origin>\\n<seq>\\n<hash>\\ntime <RFC 3339 UTC>\\n      <- the signed body (four lines)
    \\n                                                  <- one empty line
    -----BEGIN SSH SIGNATURE----- ... -----END SSH SIGNATURE-----\\n
                                                        (ssh-keygen -Y sign -n cockpit-ledger of the body)

See docs/receipts.md, "Anchors".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cockpit.errors import UsageError

TRAILER_KEY = "Cockpit-Ledger"
TRAILER_RE = re.compile(r"^Cockpit-Ledger: ([0-9]+) ([0-9a-f]{64})$", re.M)
NAMESPACE = "cockpit-ledger"
ORIGIN_PREFIX = "cockpit-ledger:"
_TIME_RE = re.compile(r"^time \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
SIGNATURE_BEGIN = "-----BEGIN SSH SIGNATURE-----"


def trailer(seq: int, digest: str) -> str:
    return f"{TRAILER_KEY}: {seq} {digest}"


def origin_of(git_common_dir: str) -> str:
    """The checkpoint origin of a repository: its git directory's absolute real path, prefixed."""
    return ORIGIN_PREFIX + git_common_dir


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    seq: int
    hash: str
    time: str  # RFC 3339 UTC, seconds

    def body(self) -> bytes:
        return f"{self.origin}\n{self.seq}\n{self.hash}\ntime {self.time}\n".encode()


def render(checkpoint: Checkpoint, signature: bytes) -> bytes:
    return checkpoint.body() + b"\n" + signature if signature.endswith(b"\n") else checkpoint.body() + b"\n" + signature + b"\n"


def parse(raw: bytes, where: str) -> tuple[Checkpoint, bytes, bytes]:
    """(checkpoint, the signed body bytes, the armored signature) of a checkpoint file, or UsageError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{where} is not a cockpit checkpoint (not UTF-8 text)") from None
    lines = text.split("\n")
    if len(lines) < 7 or lines[4] != "" or lines[5] != SIGNATURE_BEGIN:
        raise UsageError(
            f"{where} is not a cockpit checkpoint: expected four lines (origin, seq, hash, time), "
            "an empty line and an SSH signature",
            hint="make one with `cockpit receipts checkpoint --out FILE`",
        )
    origin, seq_text, digest, time_line = lines[:4]
    if (
        not origin.startswith(ORIGIN_PREFIX)
        or not seq_text.isdigit()
        or not _HASH_RE.match(digest)
        or not _TIME_RE.match(time_line)
        or str(int(seq_text)) != seq_text
    ):
        raise UsageError(f"{where} is not a cockpit checkpoint: its origin, seq, hash or time line is misshapen")
    body = "\n".join(lines[:4]).encode("utf-8") + b"\n"
    signature = "\n".join(lines[5:]).encode("utf-8")
    return Checkpoint(origin, int(seq_text), digest, time_line[5:]), body, signature
