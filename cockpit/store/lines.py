"""Receipt lines decoded in C: a block of whole lines at a time, into the members a fold reads.

A ledger line is canonical JSON with sorted keys and the hash appended (docs/receipts.md):
  {"actor":..,"data":{..},"dispatch":..,"kind":"..","prev":"<64>","seq":N,"ts":"<27>","hash":"<64>"}
msgspec decodes a megabyte of them into records without a Python step per member; `data`
stays raw bytes until a handler needs it (a kind the projection ignores, or an update of a
dispatch the store does not hold, needs nothing). Where msgspec reads a value at all, it reads
what `json.loads` reads (the same numbers, strings and last-wins keys); what it refuses (a
number out of float range, a member of another type than the record says, a blank line, two
objects on one line) sends that block's lines, one at a time, to `json.loads`, so a fold's
result never depends on which reader read a line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import msgspec

from cockpit.domain.json_value import JsonObject
from cockpit.errors import CockpitError

REBUILD_HINT = "run `cockpit receipts verify`, then `cockpit state rebuild`"  # what to do about a ChainBroken


class ChainBroken(CockpitError):
    """The ledger cannot be folded: a line that cannot be read, or a chain that does not continue."""

    exit_code = 1


class Line(msgspec.Struct):
    """What a fold reads of one receipt line (`prev` and `hash` are skipped while decoding)."""

    actor: str
    data: msgspec.Raw  # decoded by `data_of` only when a handler needs it
    dispatch: str | None
    kind: str
    seq: int
    ts: str


class ChainedLine(Line):
    """A line with its links, for a fold that checks the chain itself (a catch-up)."""

    prev: str
    hash: str


class Parsed(NamedTuple):
    """A line msgspec refused, as `json.loads` read it (`data` already a dict)."""

    actor: str
    data: JsonObject
    dispatch: Any  # whatever the line holds: the handlers see what they always saw
    kind: str
    seq: int
    ts: str
    prev: str
    hash: str


class _Gate(msgspec.Struct):
    gate: Any  # the key of a gate row: str() of it, as the gate handlers take it


class _Note(msgspec.Struct):
    text: Any = ""  # str() of it, as the note handler takes it


_DECODERS: dict[bool, msgspec.json.Decoder[Any]] = {False: msgspec.json.Decoder(Line), True: msgspec.json.Decoder(ChainedLine)}
_gate = msgspec.json.Decoder(_Gate)
_note = msgspec.json.Decoder(_Note)
_one = msgspec.json.Decoder(dict)  # a JSON object: str keys, any values


def decode_block(block: bytes, *, chained: bool = False) -> Sequence[Line | Parsed]:
    """The records of `block` (whole lines, each ending in a newline), one a line, in order;
    `chained`: with each line's `prev` and `hash` (ChainedLine)."""
    decoder = _DECODERS[chained]
    lines = block.count(b"\n")
    try:
        records = decoder.decode_lines(block)
    except msgspec.MsgspecError:
        records = []
    if len(records) == lines:
        return records
    # A value msgspec refuses, or a blank line or two objects on one (it skips or splits those,
    # where the ledger's layout has exactly one object a line): each line on its own.
    out: list[Line | Parsed] = []
    for line in block[:-1].split(b"\n"):
        try:
            out.append(decoder.decode(line))
        except msgspec.MsgspecError:
            out.append(parse_line(line))
    return out


def parse_line(line: bytes) -> Parsed:
    """A line as `json.loads` reads it, its members as the folds have always taken them."""
    try:
        obj = json.loads(line)
        return Parsed(
            str(obj["actor"]),
            dict(obj["data"]),
            obj["dispatch"],
            str(obj["kind"]),
            int(obj["seq"]),
            str(obj["ts"]),
            str(obj["prev"]),
            str(obj["hash"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ChainBroken(f"a ledger line cannot be read ({exc})", hint=REBUILD_HINT) from None


def object_of(raw: bytes | msgspec.Raw) -> JsonObject:
    """A receipt's `data` from its bytes (not an object: a line the fold cannot read, ChainBroken)."""
    try:
        return _one.decode(raw)  # a Raw is a buffer too
    except msgspec.MsgspecError:  # not an object, or a value only json reads (1e400): json says which
        pass
    try:
        value = json.loads(bytes(raw))
    except ValueError:
        value = None
    if type(value) is not dict:
        raise ChainBroken(f"a ledger line cannot be read (data): {bytes(raw)[:120]!r}", hint=REBUILD_HINT)
    return value


def data_of(record: Line | Parsed) -> JsonObject:
    raw = record.data
    return raw if type(raw) is dict else object_of(raw)  # type: ignore[arg-type]


def gate_of(record: Line | Parsed) -> str:
    """`str(data["gate"])` without building the dict."""
    return str(_member(record, _gate, "gate", _gate_in))


def note_text(record: Line | Parsed) -> str:
    """`str(data.get("text", ""))` without building the dict."""
    return str(_member(record, _note, "text", _text_in))


def _gate_in(data: JsonObject) -> Any:
    return data["gate"]


def _text_in(data: JsonObject) -> Any:
    return data.get("text", "")


def _member(record: Line | Parsed, decoder: msgspec.json.Decoder[Any], name: str, read: Callable[[JsonObject], Any]) -> Any:
    """One member of `data`, decoded alone; the dict's way (`read`) wherever msgspec refuses."""
    raw = record.data
    if type(raw) is not dict:
        try:
            return getattr(decoder.decode(raw), name)  # type: ignore[arg-type]
        except msgspec.MsgspecError:
            pass
    return read(data_of(record))
