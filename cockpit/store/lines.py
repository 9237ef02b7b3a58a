"""Receipt lines decoded in C: a block of whole lines at a time, into the members a fold reads.

msgspec decodes a megabyte of canonical receipt lines into records without a Python step per
member; `data` stays raw bytes until a handler needs it. Where msgspec reads a value at all, it
reads what `json.loads` reads (the same numbers, strings and last-wins keys); what it refuses
(a number out of float range, a member of another type than the record says) sends that block's
lines, one at a time, to the parser the folds always had (`fold._slow`), so the fold's result
never depends on which reader read a line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import msgspec

from cockpit.domain.json_value import JsonObject
from cockpit.store.fold import _slow, parse_data


class Line(msgspec.Struct):
    """What the folds read of one receipt line (`prev` and `hash` are skipped while decoding)."""

    actor: str
    data: msgspec.Raw  # decoded by `data_of` only when a handler needs it
    dispatch: str | None
    kind: str
    seq: int
    ts: str


class Parsed(NamedTuple):
    """A line msgspec refused, as the fallback parser read it (`data` already a dict)."""

    actor: str
    data: JsonObject
    dispatch: Any  # whatever the line holds: the handlers see what they always saw
    kind: str
    seq: int
    ts: str


class _Gate(msgspec.Struct):
    gate: Any  # the key of a gate row: str() of it, as the gate handlers take it


class _Note(msgspec.Struct):
    text: Any = ""  # str() of it, as the note handler takes it


_lines = msgspec.json.Decoder(Line)
_gate = msgspec.json.Decoder(_Gate)
_note = msgspec.json.Decoder(_Note)
_one = msgspec.json.Decoder(dict[str, Any])


def decode_block(block: bytes, lines: int) -> list[Line] | list[Line | Parsed]:
    """The records of `block` (whole lines, each ending in a newline; `lines` of them), in order."""
    try:
        records = _lines.decode_lines(block)
    except msgspec.MsgspecError:
        records = []
    if len(records) == lines:
        return records
    # A value msgspec refuses, or a blank line or two objects on one (it skips or splits those,
    # where the ledger's layout has exactly one object a line): each line on its own.
    out: list[Line | Parsed] = []
    for line in block[:-1].split(b"\n"):
        try:
            out.append(_lines.decode(line))
        except msgspec.MsgspecError:
            kind, dispatch, seq, _prev, ts, actor, data, _hash = _slow(line)
            out.append(Parsed(actor, data, dispatch, kind, seq, ts))
    return out


def object_of(raw: bytes | msgspec.Raw) -> JsonObject:
    """A receipt's `data` from its bytes (not an object: a line the fold cannot read, ChainBroken)."""
    try:
        return _one.decode(raw)  # a Raw is a buffer too
    except msgspec.MsgspecError:  # not an object, or a value only json reads (1e400): json says which
        return parse_data(bytes(raw), bytes(raw))


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
