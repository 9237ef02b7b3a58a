"""Appending receipts: one lock, one write, one fsync of the ledger and one of the head.

Appends never read the ledger to find where they are: the head record beside it
says the last seq, hash and size, and (while an append is under way) where it will
end. Bytes past the head's size are what a crashed append left behind: when they are
exactly the announced append and every line is a sound successor they are adopted;
otherwise all of them (a torn batch, a torn line, records nobody announced) are moved
to the quarantine file and recorded in a `ledger_repaired` receipt, and the chain goes
on from the last good record.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cockpit.domain.receipt import FORMAT, GENESIS, Receipt, format_ts, seal
from cockpit.domain.secrets import mask, mask_text, secret_values
from cockpit.errors import LedgerError
from cockpit.ledger.files import HEAD_SIZE, Head, LedgerPaths, decode_head, fsync_directory
from cockpit.ledger.lines import BadLine, inspect_line

MAX_PENDING_BYTES = 64 * 1024 * 1024  # past-head bytes we are willing to examine
_TAIL_PROBE = 64 * 1024


@dataclass(frozen=True)
class Entry:
    kind: str
    actor: str
    dispatch: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


class Ledger:
    """The append side of one ledger directory. Safe across threads and processes."""

    def __init__(
        self,
        directory: Path,
        *,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.paths = LedgerPaths(Path(directory))
        self._secrets = secret_values(os.environ if env is None else env)
        self._clock = clock
        self._thread_lock = threading.Lock()
        self._fds: tuple[int, int, int] | None = None

    # -- public ---------------------------------------------------------------

    def append(self, kind: str, *, actor: str, dispatch: str | None = None, data: Mapping[str, Any] | None = None) -> Receipt:
        return self.append_many([Entry(kind, actor, dispatch, data or {})])[-1]

    def append_many(self, entries: Iterable[Entry]) -> list[Receipt]:
        """Append entries as consecutive records with a single write and fsync."""
        entries = list(entries)
        count = len(entries)
        if not count:
            return []
        with self._thread_lock, self._locked() as (ledger_fd, head_fd):
            head = self._reconcile(ledger_fd, head_fd)
            lines: list[bytes] = []
            out: list[Receipt] = []
            seq, prev = head.seq, head.hash
            if seq == 0:
                genesis = Entry("ledger_created", "cockpit", None, {"format": FORMAT})
                entries = [genesis, *entries]
            for entry in entries:
                receipt, line = self._seal(entry, seq + 1, prev)
                out.append(receipt)
                lines.append(line)
                seq, prev = receipt.seq, receipt.hash
            blob = b"".join(lines)
            self._commit(ledger_fd, head_fd, head, blob, Head(seq, prev, head.size + len(blob)))
            return out[-count:]

    def last(self) -> tuple[int, str]:
        """(seq, hash) of the last committed record (0 and 64 zeros for an empty ledger)."""
        with self._thread_lock, self._locked() as (_ledger_fd, head_fd):
            head = self._read_head(head_fd)
        return (head.seq, head.hash) if head else (0, GENESIS)

    def repair(self) -> list[Receipt]:
        """Reconcile the tail now (what the next append would do); return any repair receipts."""
        with self._thread_lock, self._locked() as (ledger_fd, head_fd):
            before = self._read_head(head_fd)
            self._reconcile(ledger_fd, head_fd)
            after = self._read_head(head_fd)
        if after is None or (before is not None and after.seq == before.seq):
            return []
        from cockpit.ledger.reader import tail

        return [r for r in tail(self.paths.directory, after.seq - (before.seq if before else 0)) if r.kind == "ledger_repaired"]

    # -- internals ------------------------------------------------------------

    def _seal(self, entry: Entry, seq: int, prev: str) -> tuple[Receipt, bytes]:
        try:
            return seal(
                seq=seq,
                ts=format_ts(self._clock()),
                kind=entry.kind,
                actor=mask_text(entry.actor, self._secrets),
                dispatch=entry.dispatch,
                data=mask(dict(entry.data), self._secrets),
                prev=prev,
            )
        except ValueError as exc:
            raise LedgerError(f"refusing to write a malformed {entry.kind!r} receipt: {exc}") from None

    @contextmanager
    def _locked(self) -> Iterator[tuple[int, int]]:
        """Hold the exclusive lock; yields (ledger fd, head fd), kept open between appends."""
        if self._fds is None:
            paths = self.paths
            opened: list[int] = []
            try:
                paths.directory.mkdir(parents=True, exist_ok=True)
                for path in (paths.lock, paths.ledger, paths.head):
                    opened.append(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
            except OSError as exc:
                for fd in opened:
                    os.close(fd)
                raise LedgerError(f"cannot open the ledger in {paths.directory}: {exc.strerror}") from None
            self._fds = (opened[0], opened[1], opened[2])
        lock_fd, ledger_fd, head_fd = self._fds
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        try:
            yield ledger_fd, head_fd
        finally:
            fcntl.flock(lock_fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._thread_lock:
            if self._fds is not None:
                for fd in self._fds:
                    os.close(fd)
                self._fds = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _read_head(head_fd: int) -> Head | None:
        return decode_head(os.pread(head_fd, HEAD_SIZE, 0))

    def _commit(self, ledger_fd: int, head_fd: int, prior: Head, blob: bytes, head: Head) -> None:
        """Announce the append in the head, write it, fsync, then the new head. On failure nothing changed.

        Only announced bytes are ever adopted after a crash, so a torn batch is never half
        adopted and records written past the head by anything but an append are quarantined.
        The announcement is not fsynced: one lost in a power cut only means the append's bytes
        are quarantined, never that part of it is adopted.
        """
        offset = prior.size
        before = os.pread(head_fd, HEAD_SIZE, 0)
        try:
            _write_all(head_fd, Head(prior.seq, prior.hash, offset, offset + len(blob)).encode(), 0)
            _write_all(ledger_fd, blob, offset)
            os.fdatasync(ledger_fd)
            _write_all(head_fd, head.encode(), 0)
            os.fdatasync(head_fd)
        except OSError as exc:
            # Leave nothing half-written: cut back to where this append started, and the head as it was.
            try:
                os.ftruncate(ledger_fd, offset)
                os.fdatasync(ledger_fd)
                _write_all(head_fd, before, 0)
                os.ftruncate(head_fd, len(before))
                os.fdatasync(head_fd)
            except OSError:
                pass  # the next append's reconcile quarantines whatever is left
            raise LedgerError(f"could not write the ledger: {exc.strerror}; nothing was recorded") from None

    def _reconcile(self, ledger_fd: int, head_fd: int) -> Head:
        """Return the head to append after, first repairing whatever a crash left."""
        size = os.fstat(ledger_fd).st_size
        head = self._read_head(head_fd)
        if head is None:
            if size == 0:
                return Head(0, GENESIS, 0)
            head = self._head_from_tail(ledger_fd, size)
            if head.seq:  # a crash on first use left no head: write the rebuilt one now
                _write_all(head_fd, head.encode(), 0)
                os.fdatasync(head_fd)
                fsync_directory(self.paths.directory)
        if size < head.size:
            raise LedgerError(
                f"the ledger is shorter than its head record says ({size} < {head.size} bytes): records were cut off",
                hint="run `cockpit receipts verify` and restore the ledger from a backup",
            )
        if size == head.size:
            if head.next is not None:  # a batch that never reached the ledger: forget its intent
                head = Head(head.seq, head.hash, head.size)
                _write_all(head_fd, head.encode(), 0)
                os.fdatasync(head_fd)
            return head
        return self._adopt_or_quarantine(ledger_fd, head_fd, head, size)

    def _head_from_tail(self, ledger_fd: int, size: int) -> Head:
        """Rebuild a lost head from the last complete line (only after a crash on first use)."""
        start = max(0, size - _TAIL_PROBE)
        chunk = os.pread(ledger_fd, size - start, start)
        end = chunk.rfind(b"\n")
        if end < 0 and start == 0:
            return Head(0, GENESIS, 0)  # the very first append was torn: all of it is quarantined
        while end >= 0:
            begin = chunk.rfind(b"\n", 0, end) + 1
            if begin == 0 and start > 0:
                break
            try:
                facts = inspect_line(chunk[begin:end])
            except BadLine:
                end = begin - 1
                continue
            return Head(facts.seq, facts.hash, start + end + 1)
        raise LedgerError(
            "the ledger's head record is missing and its last record cannot be read",
            hint="run `cockpit receipts verify` to find the damage",
        )

    def _adopt_or_quarantine(self, ledger_fd: int, head_fd: int, head: Head, size: int) -> Head:
        pending = size - head.size
        if pending > MAX_PENDING_BYTES:
            raise LedgerError(
                f"{pending} bytes follow the last recorded append; refusing to guess what they are",
                hint="run `cockpit receipts verify`",
            )
        tail = os.pread(ledger_fd, pending, head.size)
        cursor = 0
        adopted = Head(head.seq, head.hash, head.size)
        # An append is adopted whole or not at all: only a tail that ends exactly where the
        # announced append was to end (the head's `next`) can be.
        whole = head.next == size
        while whole:
            newline = tail.find(b"\n", cursor)
            if newline < 0:
                break
            try:
                facts = inspect_line(tail[cursor:newline])
            except BadLine:
                break
            if facts.seq != adopted.seq + 1 or facts.prev != adopted.hash:
                break
            adopted = Head(facts.seq, facts.hash, head.size + newline + 1)
            cursor = newline + 1
        leftover = tail[cursor:]
        if not leftover:
            _write_all(head_fd, adopted.encode(), 0)
            os.fdatasync(head_fd)
            return adopted
        return self._quarantine(ledger_fd, head_fd, adopted, leftover)

    def _quarantine(self, ledger_fd: int, head_fd: int, good: Head, torn: bytes) -> Head:
        qpath = self.paths.quarantine
        qfd = os.open(qpath, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            q_offset = os.fstat(qfd).st_size
            os.write(qfd, torn)
            os.fsync(qfd)
        finally:
            os.close(qfd)
        os.ftruncate(ledger_fd, good.size)
        os.fdatasync(ledger_fd)
        data = {
            "offset": good.size,
            "length": len(torn),
            "sha256": hashlib.sha256(torn).hexdigest(),
            "quarantine_file": qpath.name,
            "quarantine_offset": q_offset,
            "after_seq": good.seq,
        }
        entry = Entry("ledger_repaired", "cockpit", None, data)
        if good.seq == 0:
            genesis = Entry("ledger_created", "cockpit", None, {"format": FORMAT})
            receipts = [self._seal(genesis, 1, GENESIS)]
            receipts.append(self._seal(entry, 2, receipts[0][0].hash))
        else:
            receipts = [self._seal(entry, good.seq + 1, good.hash)]
        blob = b"".join(line for _, line in receipts)
        last = receipts[-1][0]
        new_head = Head(last.seq, last.hash, good.size + len(blob))
        self._commit(ledger_fd, head_fd, good, blob, new_head)
        return new_head
