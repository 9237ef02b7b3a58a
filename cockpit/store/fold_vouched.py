"""A rebuild's fold: the whole ledger into an empty store, its chain vouched for by verify.

`cockpit state rebuild` reads the ledger's head first, then verifies the ledger in processes
of its own with the head's (seq, hash) as an anchor while this fold runs, and commits the new
store only if that verify passes. Verify proves every line up to the end of the file (layout,
hash, seq, link) and that record `seq` hashes to `hash`. This fold reads bytes [0, head's size)
and checks that they end on that very record: as many lines as its seq, the last line's seq and
hash the head's. Every line it folds is then a line verify proved, so it does not check each
line's chain again (`fold_range`, for catch-ups, does).

Each block of whole lines is decoded in C (lines.py); then, per record:
- a kind without a handler costs nothing more, nor does an update of a dispatch the table does
  not hold (its `data` is never decoded);
- gate rows are latest-wins per (dispatch, gate), so they are held across the whole fold (up to
  GATE_HOLD keys, each as its `data` bytes) and only the last receipt of each key becomes a row.
  A gate receipt's other effect (the dispatch's `updated_ts`) is applied in order, as
  `Projection.apply` does;
- every other kind goes to its handler, as `Projection.apply` would send it;
- dispatch rows are written once, at the end.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from cockpit.domain.json_value import JsonObject
from cockpit.ledger.reader import iter_blocks
from cockpit.store.fold import CHUNK, ChainBroken, Folded, Progress
from cockpit.store.gate_rows import GATE_ROWS
from cockpit.store.lines import REBUILD_HINT, data_of, decode_block, gate_of, note_text, object_of
from cockpit.store.projection import HANDLERS, UPDATE_ONLY, Projection, Rec

GATE_HOLD = 1 << 18  # gate keys held before their rows are written (a few hundred bytes a key: memory stays bounded)
_GATE, _NOTE = 1, 2  # kinds the loop handles itself

# A gate receipt held until its key's last receipt is known: (kind, dispatch, seq, ts, data),
# `data` as a copy of its bytes (a view would keep the whole block alive) or, from the
# fallback parser, as a dict.
Held = tuple[str, Any, int, str, msgspec.Raw | JsonObject]


@dataclass(frozen=True)
class Vouched:
    """The record a rebuild folds up to, which verify (running beside) is checking as an anchor."""

    offset: int  # the ledger's bytes up to the end of that record
    seq: int
    hash: str


def _write_gates(projection: Projection, held: dict[tuple[Any, str], Held]) -> None:
    batch = projection.gates
    for key, (kind, dispatch, seq, ts, data) in held.items():
        batch[key] = GATE_ROWS[kind](dispatch, seq, ts, data if type(data) is dict else object_of(data))  # type: ignore[arg-type]
        if len(batch) >= 4096:  # written in slices: the rows of every held key at once would double the memory
            projection.flush(dispatches=False)
    held.clear()
    projection.flush(dispatches=False)


def fold_vouched(conn: sqlite3.Connection, directory: Path, upto: Vouched, *, progress: Progress | None = None) -> Folded:
    """Fold bytes [0, upto.offset) of the ledger into an empty projection (see the module's docstring)."""
    projection = Projection(conn, empty=True)
    rows, update, notes = projection.rows, projection.update, projection.notes
    # kind -> (handler, update-only, its route in the loop below)
    kinds = {k: (h, k in UPDATE_ONLY, _GATE if k in GATE_ROWS else _NOTE if k == "note" else 0) for k, h in HANDLERS.items()}
    held: dict[tuple[Any, str], Held] = {}
    count, last, end = 0, b"", upto.offset
    offset = 0
    for offset, block in iter_blocks(directory, 0, end, CHUNK):
        records = decode_block(block)
        count += len(records)
        last = block[block.rfind(b"\n", 0, len(block) - 1) + 1 : -1]
        for record in records:
            found = kinds.get(record.kind)
            if found is None:
                continue  # a kind the projection ignores
            handler, update_only, route = found
            dispatch = record.dispatch
            if update_only and (dispatch is None or rows.get(dispatch) is None):
                continue  # an update of a dispatch the table does not hold changes nothing
            if route == _GATE:
                raw = record.data
                held[(dispatch, gate_of(record))] = (
                    record.kind,
                    dispatch,
                    record.seq,
                    record.ts,
                    raw if type(raw) is dict else raw.copy(),  # a copy: not the whole block
                )
                if rows.get(dispatch) is not None:  # type: ignore[arg-type]  # None is never a key
                    update(dispatch, record.ts)
            elif route == _NOTE:  # the note handler's row, without a dict for its data
                notes.append((record.seq, record.ts, record.actor, note_text(record)))
            else:
                handler(projection, Rec(record.seq, record.ts, record.kind, record.actor, dispatch, data_of(record)))
        if len(held) >= GATE_HOLD:
            _write_gates(projection, held)
        projection.flush(dispatches=False)
        if progress is not None:
            progress(offset, end)
    _write_gates(projection, held)
    projection.flush()
    _check_end(count, last, offset, upto)
    return Folded(count, upto.seq, upto.hash, upto.offset)


def _check_end(count: int, last: bytes, offset: int, upto: Vouched) -> None:
    """The fold read exactly the lines verify is checking: up to record `upto.seq`, which it ends on."""
    try:
        record: Any = json.loads(last) if last else {}
        seq, digest = record.get("seq"), record.get("hash")
    except (ValueError, AttributeError):
        seq = digest = None
    if offset != upto.offset or count != upto.seq or seq != upto.seq or digest != upto.hash:
        raise ChainBroken(
            f"the ledger read for the rebuild does not end on record {upto.seq} as its head said "
            f"({count} lines up to byte {offset}, the last one seq {seq}): it changed while it was read",
            hint=REBUILD_HINT,
        )
