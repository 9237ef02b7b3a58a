"""The catch-up's fold: a range of the ledger into the projection, checking the chain as it goes.

Each block of lines is decoded in C (lines.py), with each line's `prev` and `hash`: every
line must continue the chain where the store left off (its seq one more, its prev the last
hash), and hashes are `cockpit receipts verify`'s business. `data` is decoded only when the
receipt's handler needs it. `cockpit state rebuild` uses fold_vouched.py, with verify beside it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cockpit.ledger.reader import iter_blocks
from cockpit.store.lines import REBUILD_HINT, ChainBroken, data_of, decode_block
from cockpit.store.projection import HANDLERS, UPDATE_ONLY, Projection, Rec

__all__ = ["CHUNK", "ChainBroken", "Folded", "Progress", "fold_range"]

CHUNK = 1 << 20  # bytes read (and rows flushed) at a time
PRELOAD_IDS_FROM = 256 * 1024  # fold more than this and every dispatch id is read up front

Progress = Callable[[int, int], None]  # (bytes folded, bytes to fold)


@dataclass
class Folded:
    count: int
    seq: int
    hash: str
    offset: int


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
    prev_hash = last_hash
    count, offset = 0, start
    for offset, block in iter_blocks(directory, start, end, CHUNK):
        for record in decode_block(block, chained=True):
            if record.seq != seq + 1 or record.prev != prev_hash:  # type: ignore[union-attr]  # chained: a ChainedLine
                raise ChainBroken(
                    f"the ledger does not continue where the store left off (seq {record.seq})",
                    hint=REBUILD_HINT,
                )
            seq, prev_hash = record.seq, record.hash  # type: ignore[union-attr]
            count += 1
            kind, dispatch = record.kind, record.dispatch
            handler = handlers.get(kind)
            if handler is None or (kind in update_only and not has(dispatch)):
                continue
            handler(projection, Rec(seq, record.ts, kind, record.actor, dispatch, data_of(record)))
        projection.flush()
        if progress is not None:
            progress(offset - start, end - start)
    projection.flush()
    return Folded(count, seq, prev_hash, offset)
