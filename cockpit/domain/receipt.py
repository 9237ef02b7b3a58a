"""The receipt record and its canonical bytes: everything needed to hash and check a line.

docs/receipts.md is the normative description; this module is its reference
implementation. Summary:
  body  = canonical JSON of the record without `hash` (sorted keys, no spaces,
          UTF-8, integers only, ASCII keys)
  hash  = sha256(prev as 64 ASCII hex chars || body), lowercase hex
  line  = body without its final "}" + ',"hash":"<hash>"}' + "\n"
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, JsonValue, SerializeAsAny, SkipValidation, field_validator

from cockpit.domain.json_value import JsonObject

GENESIS = "0" * 64
FORMAT = "cockpit-ledger/1"
KIND_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
MAX_SAFE_INT = 2**53 - 1  # beyond this other languages' JSON numbers lose precision
HASH_SUFFIX_LEN = len(',"hash":"') + 64 + len('"}')  # bytes a line adds to its body
# A receipt's free-form data. It is JSON already (json.loads read it, or check_canonical
# passed it), so pydantic neither checks its values again nor re-types them when dumping
# (as with Any: a ledger read stays as fast, and a caller's tuple dumps as it did).
ReceiptData = dict[str, SerializeAsAny[SkipValidation[JsonValue]]]


class Receipt(BaseModel):
    """One ledger record. `hash` is derived; see `seal`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    ts: str
    kind: str
    actor: str
    dispatch: str | None
    data: ReceiptData
    prev: str
    hash: str

    @field_validator("kind")
    @classmethod
    def _kind_is_snake_case(cls, v: str) -> str:
        if not KIND_RE.match(v):
            raise ValueError(f"kind must be snake_case, got {v!r}")
        return v

    def body(self) -> JsonObject:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "kind": self.kind,
            "actor": self.actor,
            "dispatch": self.dispatch,
            "data": self.data,
            "prev": self.prev,
        }


def format_ts(moment: datetime) -> str:
    """RFC 3339 UTC with exactly six fractional digits and a Z, always 27 characters."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_canonical(value: object, path: str = "data") -> None:
    """Raise ValueError where `value` falls outside the canonical JSON subset."""
    if value is None or isinstance(value, bool | str):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"{path}: string is not valid Unicode ({exc.reason})") from None
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INT:
            raise ValueError(f"{path}: integer {value} is beyond +-2**53-1")
        return
    if isinstance(value, float):
        raise ValueError(f"{path}: floats are not allowed in receipts (use integers or strings)")
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_canonical(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise ValueError(f"{path}: keys must be ASCII strings, got {key!r}")
            check_canonical(item, f"{path}.{key}")
        return
    raise ValueError(f"{path}: {type(value).__name__} is not JSON")


def canonical_bytes(obj: JsonObject) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def chain_hash(prev: str, body: bytes) -> str:
    return hashlib.sha256(prev.encode("ascii") + body).hexdigest()


def line_from_body(body: bytes, digest: str) -> bytes:
    return body[:-1] + b',"hash":"' + digest.encode("ascii") + b'"}\n'


def seal(
    *,
    seq: int,
    ts: str,
    kind: str,
    actor: str,
    dispatch: str | None,
    data: JsonObject,
    prev: str,
) -> tuple[Receipt, bytes]:
    """Build a receipt and the exact line to write for it."""
    if not KIND_RE.match(kind):
        raise ValueError(f"kind must be snake_case, got {kind!r}")
    if not TS_RE.match(ts):
        raise ValueError(f"ts must look like 2026-01-02T03:04:05.123456Z, got {ts!r}")
    if not HEX64_RE.match(prev):
        raise ValueError("prev must be 64 lowercase hex characters")
    check_canonical(data)
    check_canonical(actor, "actor")
    check_canonical(dispatch, "dispatch")
    body_obj: JsonObject = {
        "seq": seq,
        "ts": ts,
        "kind": kind,
        "actor": actor,
        "dispatch": dispatch,
        "data": data,
        "prev": prev,
    }
    body = canonical_bytes(body_obj)
    digest = chain_hash(prev, body)
    receipt = Receipt(**body_obj, hash=digest)
    return receipt, line_from_body(body, digest)


def parse_line(line: bytes) -> Receipt:
    """Parse one ledger line (with or without its newline) into a Receipt."""
    obj = json.loads(line)
    if not isinstance(obj, dict):
        raise ValueError("a ledger line must be a JSON object")
    return Receipt(**obj)


def split_line(line: bytes) -> tuple[bytes, str] | None:
    """Split a line (without newline) into (body, hash) by position, or None if misshapen.

    This is the verifier's fast path: the hash input is the body bytes as written.
    """
    if len(line) < HASH_SUFFIX_LEN + 2 or not line.endswith(b'"}'):
        return None
    cut = len(line) - HASH_SUFFIX_LEN
    if line[cut : cut + 9] != b',"hash":"':
        return None
    digest = line[cut + 9 : cut + 9 + 64]
    return line[:cut] + b"}", digest.decode("ascii", "replace")
