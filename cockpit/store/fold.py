"""Folding a range of the ledger into the projection, fast: no pydantic, one JSON parse at most.

A ledger line is canonical JSON with sorted keys and the hash appended (docs/receipts.md):
  {"actor":..,"data":{..},"dispatch":..,"kind":"..","prev":"<64>","seq":N,"ts":"<27>","hash":"<64>"}
Everything after `data` has a fixed shape, so it is read by position from the line's end;
`data` is parsed only when the receipt's handler needs it (a kind the projection ignores,
or an update of a dispatch the table does not hold, needs nothing). A line that does not
have that exact shape is parsed with `json.loads` as a whole. The chain (seq and prev)
is checked as the fold goes; hashes are `cockpit receipts verify`'s business. This is the
catch-up's fold; `cockpit state rebuild` uses fold_vouched.py, with verify running beside it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cockpit.domain.json_value import JsonObject
from cockpit.errors import CockpitError
from cockpit.ledger.reader import iter_blocks
from cockpit.store.projection import HANDLERS, UPDATE_ONLY, Projection, Rec

CHUNK = 1 << 20  # bytes read (and rows flushed) at a time
PRELOAD_IDS_FROM = 256 * 1024  # fold more than this and every dispatch id is read up front
_SUFFIX = 75 + 35  # ',"ts":"' + 27 + '"' and ',"hash":"' + 64 + '"}'

Progress = Callable[[int, int], None]  # (bytes folded, bytes to fold)


class ChainBroken(CockpitError):
    exit_code = 1


@dataclass
class Folded:
    count: int
    seq: int
    hash: str
    offset: int


def _slow(line: bytes) -> tuple[str, str | None, int, bytes, str, str, dict, bytes]:
    try:
        obj = json.loads(line)
        return (
            str(obj["kind"]),
            obj["dispatch"],
            int(obj["seq"]),
            str(obj["prev"]).encode(),
            str(obj["ts"]),
            str(obj["actor"]),
            dict(obj["data"]),
            str(obj["hash"]).encode(),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ChainBroken(
            f"a ledger line cannot be read ({exc})", hint="run `cockpit receipts verify`, then `cockpit state rebuild`"
        ) from None


_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # json.loads without its per-call checks; scan_once is set in __init__, absent from the stubs


def _actor_and_data(line: bytes, end: int) -> tuple[str, JsonObject]:
    """The actor and data of a line whose members after `data` were read by position (`end`: data's end)."""
    a = line.find(b'","data":')
    if a < 0 or not line.startswith(b'{"actor":"'):
        *_, actor, data, _hash = _slow(line)
        return actor, data
    raw = line[9 : a + 1]  # the actor as a JSON string, quotes included
    actor = json.loads(raw) if b"\\" in raw else raw[1:-1].decode()
    return actor, parse_data(line[a + 9 : end], line)


def parse_data(raw: bytes, line: bytes) -> JsonObject:
    """A receipt's `data` (its bytes cut from `line`): one JSON object, nothing before or after it."""
    text = raw.decode()
    try:
        data, stop = _scan(text, 0)
    except (StopIteration, ValueError):
        stop, data = -1, {}  # stop -1: fails the check below
    if stop != len(text) or type(data) is not dict:
        raise ChainBroken(
            f"a ledger line cannot be read (data): {line[:120]!r}",
            hint="run `cockpit receipts verify`, then `cockpit state rebuild`",
        )
    return data


def fold_range(
    conn: sqlite3.Connection,
    directory: Path,
    start: int,
    end: int,
    seq: int,
    last_hash: str,
    *,
    empty: bool = False,
    progress: Progress | None = None,
) -> Folded:
    """Fold the ledger's bytes [start, end) into the projection, continuing from (seq, last_hash)."""
    projection = Projection(conn, empty=empty)
    if not empty and end - start > PRELOAD_IDS_FROM:
        projection.load_ids()
    handlers, update_only, has = HANDLERS, UPDATE_ONLY, projection.has
    prev_hash = last_hash.encode()
    count, offset = 0, start
    for offset, block in iter_blocks(directory, start, end, CHUNK):
        lines = block.split(b"\n")
        lines.pop()
        for line in lines:
            # The members after `data`, by position from the end (see the module's docstring).
            n = len(line)
            k = line.rfind(b',"kind":"')
            q = line.find(b'"', k + 9)
            d = line.rfind(b',"dispatch":', 0, k)
            raw = line[d + 12 : k]
            seq_text = line[q + 82 : n - _SUFFIX]
            if (
                k > 0
                and d > 0
                and line[q : q + 10] == b'","prev":"'
                and line[q + 74 : q + 82] == b'","seq":'
                and line[n - _SUFFIX : n - 103] == b',"ts":"'
                and line[n - 76 : n - 66] == b'","hash":"'
                and seq_text.isdigit()
                and (raw == b"null" or (raw[:1] == raw[-1:] == b'"' and b"\\" not in raw))
            ):
                kind, number, prev, digest = (
                    line[k + 9 : q].decode(),
                    int(seq_text),
                    line[q + 10 : q + 74],
                    line[n - 66 : n - 2],
                )
                dispatch = None if raw == b"null" else raw[1:-1].decode()
                parsed = False
            else:
                kind, dispatch, number, prev, ts, actor, data, digest = _slow(line)
                parsed = True
            if number != seq + 1 or prev != prev_hash:
                raise ChainBroken(
                    f"the ledger does not continue where the store left off (seq {number})",
                    hint="run `cockpit receipts verify`, then `cockpit state rebuild`",
                )
            seq = number
            prev_hash = digest
            count += 1
            handler = handlers.get(kind)
            if handler is None or (kind in update_only and not has(dispatch)):
                continue
            if not parsed:
                ts = line[n - 103 : n - 76].decode()
                actor, data = _actor_and_data(line, d)
            handler(projection, Rec(number, ts, kind, actor, dispatch, data))
        projection.flush()
        if progress is not None:
            progress(offset - start, end - start)
    projection.flush()
    return Folded(count, seq, prev_hash.decode(), offset)
