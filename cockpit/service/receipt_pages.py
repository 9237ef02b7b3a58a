"""Paging through a ledger of any size without loading it (the TUI's full receipts view).

Records are found by seq. Seqs run 1, 2, 3, ... in file order, so the byte offset of a
seq is found by bisecting on byte offsets: read one line just after a probe offset, take
its seq from the line's tail (no JSON parse), go left or right. Every probe lands in a
sparse index of (seq, offset) anchors, so later look-ups start from a narrow bracket, and
near an anchor a short forward scan is cheaper than bisecting. Pages of PAGE_SIZE records
are parsed on demand and kept in a small LRU. Nothing here depends on the ledger's size:
opening costs two small reads (the head and the first line).
"""

from __future__ import annotations

import bisect
import os
from collections import OrderedDict
from pathlib import Path

from cockpit.domain.receipt import Receipt, parse_line
from cockpit.ledger.files import LedgerPaths, read_head
from cockpit.ledger.reader import committed_size, tail

PAGE_SIZE = 256
CACHED_PAGES = 32
PROBE_BYTES = 4096
SCAN_LIMIT = 64 * 1024  # closer than this to an anchor: scan forward instead of bisecting
MAX_ANCHORS = 200_000
_SEQ_KEY = b',"seq":'


def seq_of_line(line: bytes) -> int | None:
    """The seq of a ledger line, read from its tail: after data, so the last `,"seq":` is the key."""
    at = line.rfind(_SEQ_KEY)
    if at < 0:
        return None
    digits = bytearray()
    for byte in line[at + len(_SEQ_KEY) : at + len(_SEQ_KEY) + 20]:
        if 48 <= byte <= 57:
            digits.append(byte)
        else:
            break
    return int(digits) if digits else None


class ReceiptPages:
    """Random access by index (0 = oldest) into the committed part of a ledger."""

    def __init__(self, directory: Path, *, page_size: int = PAGE_SIZE, cached_pages: int = CACHED_PAGES) -> None:
        self.paths = LedgerPaths(Path(directory))
        self.page_size = page_size
        self.cached_pages = cached_pages
        self._pages: OrderedDict[int, list[Receipt]] = OrderedDict()
        self._anchor_seqs: list[int] = []
        self._anchor_offsets: list[int] = []
        self._fd: int | None = None
        self.end = 0
        self.first_seq = 0
        self.last_seq = 0
        self.refresh()

    # -- size -------------------------------------------------------------------------

    def refresh(self) -> int:
        """Take in records appended since the last look; returns how many there are now."""
        end = committed_size(self.paths.directory)
        if end == self.end:
            return self.count
        if end < self.end:  # the ledger was replaced: start over
            self._reset()
        self.end = end
        if end == 0:
            self.first_seq = self.last_seq = 0
            return 0
        if not self.first_seq:
            first = self._line_at(0)
            self.first_seq = (seq_of_line(first) if first else None) or 1
            self._remember(self.first_seq, 0)
        _exists, head = read_head(self.paths)
        if head is not None and head.size == end:
            self.last_seq = head.seq
        else:  # no usable head: the last line says
            latest = tail(self.paths.directory, 1)
            self.last_seq = latest[-1].seq if latest else self.first_seq
        # The last page may have grown: forget it so it is read again.
        self._pages.pop(self.page_of(self.count - 1), None)
        self._pages.pop(self.page_of(self.count - 1) - 1, None)
        return self.count

    @property
    def count(self) -> int:
        return self.last_seq - self.first_seq + 1 if self.last_seq else 0

    def page_of(self, index: int) -> int:
        return max(0, index) // self.page_size

    # -- access -----------------------------------------------------------------------

    def get(self, index: int) -> Receipt | None:
        if not 0 <= index < self.count:
            return None
        page = self.page(self.page_of(index))
        offset = index - self.page_of(index) * self.page_size
        return page[offset] if offset < len(page) else None

    def page(self, number: int) -> list[Receipt]:
        cached = self._pages.get(number)
        if cached is not None:
            self._pages.move_to_end(number)
            return cached
        first_index = number * self.page_size
        count = min(self.page_size, self.count - first_index)
        records = self._read_from(self.first_seq + first_index, count) if count > 0 else []
        self._pages[number] = records
        while len(self._pages) > self.cached_pages:
            self._pages.popitem(last=False)
        return records

    def latest(self, count: int) -> list[Receipt]:
        """The last `count` records, oldest first, by seeking from the end."""
        return tail(self.paths.directory, count)

    def index_of_seq(self, seq: int) -> int | None:
        return seq - self.first_seq if self.first_seq <= seq <= self.last_seq else None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # -- finding offsets ------------------------------------------------------------------

    def offset_of(self, seq: int) -> int:
        """Byte offset where the line of `seq` starts."""
        i = bisect.bisect_right(self._anchor_seqs, seq) - 1
        lo_seq, lo = self._anchor_seqs[i], self._anchor_offsets[i]
        if lo_seq == seq:
            return lo
        if i + 1 < len(self._anchor_offsets):
            hi = self._anchor_offsets[i + 1]
        else:
            hi = self.end
        # Bisect: invariant: the line of `seq` starts in [lo, hi).
        while hi - lo > SCAN_LIMIT:
            mid = (lo + hi) // 2
            found = self._line_after(mid)
            if found is None:
                hi = mid
                continue
            start, line = found
            probe = seq_of_line(line)
            if probe is None or start >= hi:
                hi = mid
                continue
            self._remember(probe, start)
            if probe == seq:
                return start
            if probe < seq:
                lo = start + len(line) + 1
            else:
                hi = start
        return self._scan(lo, hi, seq)

    def _scan(self, lo: int, hi: int, seq: int) -> int:
        offset = lo
        fd = self._file()
        while offset < self.end:
            block = os.pread(fd, min(SCAN_LIMIT + PROBE_BYTES, self.end - offset), offset)
            if not block:
                break
            position = 0
            while True:
                newline = block.find(b"\n", position)
                if newline < 0:
                    break
                line = block[position:newline]
                if seq_of_line(line) == seq:
                    self._remember(seq, offset + position)
                    return offset + position
                position = newline + 1
            if position == 0:
                raise ValueError(f"a ledger line longer than {len(block)} bytes at offset {offset}")
            offset += position
        raise KeyError(seq)

    def _read_from(self, seq: int, count: int) -> list[Receipt]:
        offset = self.offset_of(seq)
        fd = self._file()
        records: list[Receipt] = []
        pending = b""
        line_start = offset
        while len(records) < count and offset < self.end:
            chunk = os.pread(fd, min(1 << 16, self.end - offset), offset)
            if not chunk:
                break
            offset += len(chunk)
            lines = (pending + chunk).split(b"\n")
            pending = lines.pop()
            for line in lines:
                line_start += len(line) + 1
                if line:
                    records.append(parse_line(line))
                    if len(records) == count:
                        break
        if pending and len(records) < count:
            records.append(parse_line(pending))
        elif len(records) == count and line_start < self.end:
            # The next page starts right after this one: an anchor for free.
            self._remember(records[-1].seq + 1, line_start)
        return records

    def _line_at(self, offset: int) -> bytes | None:
        fd = self._file()
        data = b""
        while offset + len(data) < self.end:
            more = os.pread(fd, min(PROBE_BYTES, self.end - offset - len(data)), offset + len(data))
            if not more:
                break
            data += more
            newline = data.find(b"\n")
            if newline >= 0:
                return data[:newline]
        return data or None

    def _line_after(self, offset: int) -> tuple[int, bytes] | None:
        """The first whole line that starts after `offset` (strictly inside the file)."""
        fd = self._file()
        position = offset
        while position < self.end:
            block = os.pread(fd, min(PROBE_BYTES, self.end - position), position)
            if not block:
                return None
            newline = block.find(b"\n")
            if newline >= 0:
                start = position + newline + 1
                if start >= self.end:
                    return None
                line = self._line_at(start)
                return (start, line) if line is not None else None
            position += len(block)
        return None

    def _remember(self, seq: int, offset: int) -> None:
        if offset < 0 or len(self._anchor_seqs) >= MAX_ANCHORS:
            return
        i = bisect.bisect_left(self._anchor_seqs, seq)
        if i < len(self._anchor_seqs) and self._anchor_seqs[i] == seq:
            return
        self._anchor_seqs.insert(i, seq)
        self._anchor_offsets.insert(i, offset)

    def _file(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.paths.ledger, os.O_RDONLY | os.O_CLOEXEC)
        return self._fd

    def _reset(self) -> None:
        self.close()
        self._pages.clear()
        self._anchor_seqs.clear()
        self._anchor_offsets.clear()
        self.end = self.first_seq = self.last_seq = 0

    def __enter__(self) -> ReceiptPages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
