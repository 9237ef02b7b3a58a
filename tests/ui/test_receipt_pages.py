"""Paging a real ledger: random access by index equals reading it front to back, the latest
page comes from the end, and opening does not read the ledger."""

from __future__ import annotations

import random
from pathlib import Path

from cockpit.ledger import Entry, Ledger, iter_receipts
from cockpit.service import receipt_pages
from cockpit.service.receipt_pages import ReceiptPages, seq_of_line


def write_ledger(directory: Path, count: int, *, batch: int = 500) -> None:
    ledger = Ledger(directory)
    try:
        done = 0
        while done < count:
            n = min(batch, count - done)
            ledger.append_many(
                [Entry("note", "tester", None, {"text": f"note {done + i}", "pad": "x" * (i % 97)}) for i in range(n)]
            )
            done += n
    finally:
        ledger.close()


def test_every_index_matches_a_front_to_back_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(receipt_pages, "SCAN_LIMIT", 2048)  # force real bisection on a small file
    write_ledger(tmp_path, 3000)
    expected = [r for _offset, r in iter_receipts(tmp_path)]
    with ReceiptPages(tmp_path, page_size=64, cached_pages=4) as pages:
        total = len(expected)  # the notes, after the ledger's own first record
        assert pages.count == total == 3001
        order = list(range(total))
        random.Random(7).shuffle(order)
        for index in order[:600] + [0, total - 1, 64, 63, 65]:
            assert pages.get(index) == expected[index]
        assert pages.get(total) is None and pages.get(-1) is None
        assert len(pages._pages) <= 4  # the LRU stays bounded
        assert pages.latest(5) == expected[-5:]
        assert pages.index_of_seq(expected[10].seq) == 10


def test_the_count_follows_appends(tmp_path: Path) -> None:
    write_ledger(tmp_path, 10)
    pages = ReceiptPages(tmp_path, page_size=4)
    assert pages.count == 11 and pages.get(10).data["text"] == "note 9"
    write_ledger(tmp_path, 3)
    assert pages.count == 11  # until asked to look again
    assert pages.refresh() == 14
    assert [pages.get(i).seq for i in (9, 10, 11, 12, 13)] == [10, 11, 12, 13, 14]
    pages.close()


def test_an_empty_or_missing_ledger_has_no_pages(tmp_path: Path) -> None:
    pages = ReceiptPages(tmp_path / "nothing")
    assert pages.count == 0 and pages.get(0) is None and pages.latest(3) == []


def test_opening_reads_a_few_bytes_not_the_ledger(tmp_path: Path, monkeypatch) -> None:
    write_ledger(tmp_path, 2000)
    reads: list[int] = []
    real_pread = receipt_pages.os.pread

    def counting_pread(fd: int, size: int, offset: int) -> bytes:
        reads.append(size)
        return real_pread(fd, size, offset)

    monkeypatch.setattr(receipt_pages.os, "pread", counting_pread)
    pages = ReceiptPages(tmp_path, page_size=50)
    assert sum(reads) <= receipt_pages.PROBE_BYTES
    reads.clear()
    last = pages.get(pages.count - 1)
    assert last is not None and last.seq == 2001
    size = (tmp_path / "ledger.ndjson").stat().st_size
    assert sum(reads) < size / 4  # bisected to the end, not scanned
    pages.close()


def test_seq_is_read_from_the_line_tail() -> None:
    line = (
        b'{"actor":"a","data":{"x":",\\"seq\\":5"},"dispatch":null,"kind":"note","prev":"'
        + b"0" * 64
        + b'","seq":42,"ts":"2026-01-01T00:00:00.000000Z","hash":"'
        + b"f" * 64
        + b'"}'
    )
    assert seq_of_line(line) == 42
    assert seq_of_line(b"garbage") is None
