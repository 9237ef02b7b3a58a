"""A rebuild's fold: the whole ledger into an empty store, its chain vouched for by verify.

`cockpit state rebuild` reads the ledger's head first, then verifies the ledger in processes
of its own with the head's (seq, hash) as an anchor while this fold runs, and commits the new
store only if that verify passes. Verify proves every line up to the end of the file (layout,
hash, seq, link) and that record `seq` hashes to `hash`. This fold reads bytes [0, head's size)
and checks that they end on that very record: as many lines as its seq, the last line's seq and
hash the head's. Every line it folds is then a line verify proved, so it does not check each
line's chain again (`fold_range`, for catch-ups, does), and reads of each line only what the
projection needs:

- the kind, by position (the last `,"kind":"` of a line is its own: a string cannot hold a bare
  quote); a kind without a handler costs nothing more;
- the dispatch, for an update-only kind: a dispatch the table does not hold skips the line;
- a `note` whose data is exactly `{"text": ...}`, with no escape in it or in the actor, is
  read by position (anything else is parsed);
- gate rows are latest-wins per (dispatch, gate), so they are held across the whole fold (up to
  GATE_HOLD keys) and only the last receipt of each key has its `data` parsed and written. The
  gate's name is read from the raw bytes only when that cannot be wrong (see `_gate_name`),
  else `data` is parsed. A gate receipt's other effect (the dispatch's `updated_ts`) is applied
  in order, as `Projection.apply` does;
- dispatch rows are written once, at the end.

A superseded gate receipt's `data` is therefore never parsed, as the data of a kind the
projection ignores never was: its bytes are hashed by verify, not read by the fold.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cockpit.domain.json_value import JsonObject
from cockpit.ledger.files import LedgerPaths
from cockpit.store.fold import CHUNK, ChainBroken, Folded, Progress, _actor_and_data, _slow, parse_data
from cockpit.store.projection import GATE_ROWS, HANDLERS, UPDATE_ONLY, Projection, Rec

GATE_HOLD = 1 << 18  # gate keys held before their rows are written (about 600 bytes a key: memory stays bounded)
_SUFFIX = 75 + 35  # ',"ts":"' + 27 + '"' and ',"hash":"' + 64 + '"}'
_GATE, _NOTE = 1, 2  # kinds the loop handles itself
_HINT = "run `cockpit receipts verify`, then `cockpit state rebuild`"

# A gate receipt held until its key's last receipt is known: (kind, dispatch, seq, ts, data), or its
# line when that has the common shape (read only if it stays the last).
Held = tuple[str, str | None, int, str, JsonObject]


@dataclass(frozen=True)
class Vouched:
    """The record a rebuild folds up to, which verify (running beside) is checking as an anchor."""

    offset: int  # the ledger's bytes up to the end of that record
    seq: int
    hash: str


_ODD: Any = object()  # a dispatch member that is not null or a string without escapes


def _gate_name(line: bytes, start: int, end: int) -> str | None:
    """The top-level `gate` of raw canonical `data` (line[start:end]), or None whenever that is in any doubt.

    Without a backslash every quote delimits a string, so `"gate":"` is a key `gate` with a
    string value; without a second `{` there is no object but the outer one, so that key is
    top-level; and it must occur once (JSON's last-wins on duplicate keys is then moot).
    A backslash anywhere in the line is a doubt too (one scan, no copy of `data`).
    """
    if b"\\" in line or line.count(b"{", start, end) != 1:
        return None
    at = line.find(b'"gate":"', start, end)
    if at < 0 or line.find(b'"gate":"', at + 8, end) >= 0:
        return None
    return line[at + 8 : line.find(b'"', at + 8, end)].decode()


def _held_row(held: Held | bytes) -> tuple[Any, ...]:
    """The gate row of a key's last receipt: a line of the common shape (checked when it was held) is read now."""
    if isinstance(held, tuple):
        kind, dispatch, seq, ts, data = held
        return GATE_ROWS[kind](dispatch, seq, ts, data)
    line, n = held, len(held)
    k = line.rfind(b',"kind":"')
    q = line.find(b'"', k + 9)
    d = line.rfind(b',"dispatch":', 0, k)
    raw = line[d + 12 : k]
    return GATE_ROWS[line[k + 9 : q].decode()](
        None if raw == b"null" else raw[1:-1].decode(),
        int(line[q + 82 : n - _SUFFIX]),
        line[n - 103 : n - 76].decode(),
        parse_data(line[line.find(b'","data":') + 9 : d], line),
    )


def _write_gates(projection: Projection, held: dict[tuple[str | None, str], Held | bytes]) -> None:
    batch = projection.gates
    for key, value in held.items():
        batch[key] = _held_row(value)  # type: ignore[index]  # gate rows of a null dispatch fail in SQLite, as before
        if len(batch) >= 4096:  # written in slices: the rows of every held key at once would double the memory
            projection.flush(dispatches=False)
    held.clear()
    projection.flush(dispatches=False)


def fold_vouched(conn: sqlite3.Connection, directory: Path, upto: Vouched, *, progress: Progress | None = None) -> Folded:
    """Fold bytes [0, upto.offset) of the ledger into an empty projection (see the module's docstring)."""
    projection = Projection(conn, empty=True)
    rows, update, notes = projection.rows, projection.update, projection.notes
    # kind (as bytes) -> (kind, handler, update-only, its route in the loop below)
    kinds = {
        k.encode(): (k, h, k in UPDATE_ONLY, _GATE if k in GATE_ROWS else _NOTE if k == "note" else 0)
        for k, h in HANDLERS.items()
    }
    held: dict[tuple[str | None, str], Held | bytes] = {}
    count, last, end = 0, b"", upto.offset
    with open(LedgerPaths(Path(directory)).ledger, "rb") as handle:
        fd = handle.fileno()
        pending = b""
        position = 0
        while position < end:
            chunk = os.pread(fd, min(CHUNK, end - position), position)
            if not chunk:
                break
            position += len(chunk)
            lines = chunk.split(b"\n")  # the chunk is not copied into a block of whole lines first
            if len(lines) == 1:  # no line ends in this chunk
                pending += chunk
                continue
            lines[0] = pending + lines[0]
            pending = lines.pop()
            count += len(lines)
            last = lines[-1]
            for line in lines:
                k = line.rfind(b',"kind":"')
                q = line.find(b'"', k + 9)
                found = kinds.get(line[k + 9 : q])
                if found is None:
                    continue  # a kind the projection ignores
                kind, handler, update_only, route = found
                # The dispatch member ends where `kind` begins: null, or a string without escapes, is
                # read there; anything else (_ODD) sends the line to the parser below.
                if line[k - 16 : k] == b',"dispatch":null':
                    if update_only:
                        continue  # an update of no dispatch changes nothing
                    d, dispatch = k - 16, None
                else:
                    d = line.rfind(b',"dispatch":', 0, k)
                    raw = line[d + 12 : k]
                    if d > 0 and len(raw) > 1 and raw[:1] == raw[-1:] == b'"' and b"\\" not in raw:
                        dispatch = raw[1:-1].decode()
                        if update_only and rows.get(dispatch) is None:
                            continue  # an update of a dispatch the table does not hold changes nothing
                    else:
                        dispatch = _ODD
                # The layout after `data` was proved by verify (module docstring): read by position.
                if dispatch is not _ODD and line[q : q + 10] == b'","prev":"':
                    n = len(line)
                    if route == _NOTE:
                        # data exactly {"text": a string}, no escapes in it or in the actor: no parser needed
                        a = line.find(b'","data":{"text":"')
                        raw_actor, raw_text = line[10:a], line[a + 18 : d - 2]
                        if (
                            a > 0
                            and line[d - 2 : d] == b'"}'
                            and b"\\" not in raw_actor
                            and b'"' not in raw_actor
                            and b"\\" not in raw_text
                            and b'"' not in raw_text
                            and line.startswith(b'{"actor":"')
                        ):
                            seq, ts = int(line[q + 82 : n - _SUFFIX]), line[n - 103 : n - 76].decode()
                            notes.append((seq, ts, raw_actor.decode(), raw_text.decode()))
                            continue
                    if route == _GATE:
                        a = line.find(b'","data":')
                        name = _gate_name(line, a + 9, d) if a > 0 and line.startswith(b'{"actor":"') else None
                        if name is None:
                            data = _actor_and_data(line, d)[1]
                            name = str(data["gate"])
                            held[(dispatch, name)] = (
                                kind,
                                dispatch,
                                int(line[q + 82 : n - _SUFFIX]),
                                line[n - 103 : n - 76].decode(),
                                data,
                            )
                        else:
                            held[(dispatch, name)] = line  # its other members are read if it is the key's last
                        if rows.get(dispatch) is not None:  # type: ignore[arg-type]
                            update(dispatch, line[n - 103 : n - 76].decode())
                    else:
                        actor, data = _actor_and_data(line, d)
                        handler(
                            projection,
                            Rec(int(line[q + 82 : n - _SUFFIX]), line[n - 103 : n - 76].decode(), kind, actor, dispatch, data),
                        )
                else:  # not the common shape: the whole line is parsed
                    kind, dispatch, seq, _prev, ts, actor, data, _hash = _slow(line)
                    if kind in GATE_ROWS:
                        held[(dispatch, str(data["gate"]))] = (kind, dispatch, seq, ts, data)
                        update(dispatch, ts)
                    elif kind in HANDLERS and not (kind in UPDATE_ONLY and rows.get(dispatch) is None):  # type: ignore[arg-type]
                        HANDLERS[kind](projection, Rec(seq, ts, kind, actor, dispatch, data))
            if len(held) >= GATE_HOLD:
                _write_gates(projection, held)
            projection.flush(dispatches=False)
            if progress is not None:
                progress(position - len(pending), end)
    _write_gates(projection, held)
    projection.flush()
    _check_end(count, last, position - len(pending), upto)
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
            hint=_HINT,
        )
