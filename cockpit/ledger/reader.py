"""Reading receipts: forward streaming from an offset, and the last N by seeking from the end.

Readers stop at the size the head record vouches for, so they never see a line
that an append is still writing (or that a crash left torn).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from cockpit.domain.receipt import Receipt, parse_line
from cockpit.ledger.files import LedgerPaths, read_head

_CHUNK = 1 << 20


def committed_size(directory: Path) -> int:
    """Bytes of the ledger covered by the head (the whole file when there is no head yet)."""
    paths = LedgerPaths(Path(directory))
    try:
        size = paths.ledger.stat().st_size
    except FileNotFoundError:
        return 0
    _, head = read_head(paths)
    return size if head is None else min(size, head.size)


def iter_lines(directory: Path, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(offset, line without newline) for each complete line in [start, end)."""
    paths = LedgerPaths(Path(directory))
    if end is None:
        end = committed_size(directory)
    if end <= start:
        return
    with open(paths.ledger, "rb") as handle:
        handle.seek(start)
        offset = start
        pending = b""
        while offset + len(pending) < end:
            chunk = handle.read(min(_CHUNK, end - offset - len(pending)))
            if not chunk:
                break
            pending += chunk
            lines = pending.split(b"\n")
            pending = lines.pop()
            for line in lines:
                yield offset, line
                offset += len(line) + 1


def iter_blocks(directory: Path, start: int, end: int, chunk: int = _CHUNK) -> Iterator[tuple[int, bytes]]:
    """(offset after the block, block) for the bytes [start, end) in blocks of whole lines, each
    ending in a newline (about `chunk` bytes each); a last line without its newline is left out."""
    with open(LedgerPaths(Path(directory)).ledger, "rb") as handle:
        fd = handle.fileno()
        pending = b""
        position = start
        while position < end:
            read = os.pread(fd, min(chunk, end - position), position)
            if not read:
                return
            position += len(read)
            cut = read.rfind(b"\n") + 1
            if cut == 0:  # no line ends in this read
                pending += read
                continue
            block, pending = pending + read[:cut], read[cut:]
            yield position - len(pending), block


def iter_receipts(directory: Path, start: int = 0, end: int | None = None) -> Iterator[tuple[int, Receipt]]:
    """(offset of the next record, receipt) for each committed record from `start`."""
    for offset, line in iter_lines(directory, start, end):
        yield offset + len(line) + 1, parse_line(line)


def tail(directory: Path, count: int) -> list[Receipt]:
    """The last `count` committed receipts, oldest first, reading backwards from the end."""
    if count <= 0:
        return []
    paths = LedgerPaths(Path(directory))
    end = committed_size(directory)
    if end == 0:
        return []
    found: list[bytes] = []
    with open(paths.ledger, "rb") as handle:
        fd = handle.fileno()
        position = end
        carry = b""
        while position > 0 and len(found) < count:
            step = min(64 * 1024, position)
            position -= step
            block = os.pread(fd, step, position) + carry
            parts = block.split(b"\n")
            carry = parts[0]  # may be cut at the block boundary: keep for the next round
            for part in reversed(parts[1:]):
                if part:
                    found.append(part)
                    if len(found) == count:
                        break
        if position == 0 and carry and len(found) < count:
            found.append(carry)
    return [parse_line(line) for line in reversed(found)]
