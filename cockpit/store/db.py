"""The SQLite store: open, catch up with the ledger, rebuild, query.

The ledger is always written first. The store remembers the seq, hash and byte
offset of the last receipt it applied, so catching up reads only what is new, and
a crash between the two writes is repaired by the next catch-up.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cockpit.domain.dispatch import Dispatch
from cockpit.domain.receipt import GENESIS
from cockpit.errors import CockpitError
from cockpit.ledger.reader import committed_size, iter_receipts
from cockpit.store.fold import ChainBroken, Progress, fold_range
from cockpit.store.fold_vouched import Vouched, fold_vouched
from cockpit.store.projection import Row
from cockpit.store.schema import PROJECTION_TABLES, SCHEMA, SCHEMA_VERSION


class StoreError(CockpitError):
    exit_code = 1


class Store:
    def __init__(self, db_path: Path, ledger_dir: Path) -> None:
        self.db_path = Path(db_path)
        self.ledger_dir = Path(ledger_dir)
        self._conn: sqlite3.Connection | None = None

    # -- connection -------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        try:
            try:
                _create_private(self.db_path)
            except OSError:
                pass  # a read-only state directory: SQLite says so below, in the store's words
            conn = sqlite3.connect(self.db_path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # the ledger is the durable copy
            conn.row_factory = sqlite3.Row
            with _immediate(conn):
                version = _schema_version(conn)
                if version != SCHEMA_VERSION:
                    _recreate(conn)
        except sqlite3.Error as exc:
            directory = self.db_path.parent
            if not os.access(directory, os.W_OK) or "readonly" in str(exc) or "read-only" in str(exc):
                raise StoreError(
                    f"cannot write the state store: {directory} is read-only",
                    hint="make it writable, or point COCKPIT_HOME at a writable directory",
                ) from None
            raise StoreError(
                f"cannot open the state store {self.db_path}: {exc}",
                hint="check the file, or move it away and run `cockpit state rebuild`",
            ) from None
        return conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- folding the ledger -----------------------------------------------------------

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply every committed receipt the store has not seen; return how many."""
        conn = self.conn
        with _immediate(conn):
            # Read the ledger's size under the store's write lock: another process may have
            # folded newer receipts a moment ago, and they must not look like "ahead".
            end = committed_size(self.ledger_dir)
            offset = int(_meta(conn, "offset", "0"))
            if offset > end:
                raise StoreError(
                    "the state store is ahead of the ledger (the ledger was cut or replaced)",
                    hint="run `cockpit receipts verify`, then `cockpit state rebuild`",
                )
            if offset == end:
                return 0
            return self._fold(conn, offset, end, progress=progress)

    def pending_bytes(self) -> int:
        """Bytes of the ledger not folded yet (read without taking the write lock)."""
        return max(0, committed_size(self.ledger_dir) - int(_meta(self.conn, "offset", "0")))

    def rebuild(
        self,
        progress: Progress | None = None,
        before_commit: Callable[[], None] | None = None,
        vouched: Vouched | None = None,
    ) -> int:
        """Forget every projected row and fold the whole ledger again, in one transaction.

        `before_commit` runs last inside the transaction: raising there keeps the old store.
        `vouched`: the record to fold up to, which a verify of the whole ledger is checking (as
        an anchor) and `before_commit` waits for; the fold then leaves each line's chain to it
        (fold_vouched.py). Without it the fold checks every seq and link itself.
        """
        conn = self.conn
        with _immediate(conn):
            _recreate(conn)
            if vouched is None:
                count = self._fold(conn, 0, committed_size(self.ledger_dir), empty=True, progress=progress)
            else:
                try:
                    folded = fold_vouched(conn, self.ledger_dir, vouched, progress=progress)
                except ChainBroken as exc:
                    raise StoreError(exc.message, hint=exc.hint) from None
                _set_meta(conn, seq=str(folded.seq), hash=folded.hash, offset=str(folded.offset))
                count = folded.count
            if before_commit is not None:
                before_commit()
            return count

    def _fold(
        self, conn: sqlite3.Connection, start: int, end: int, *, empty: bool = False, progress: Progress | None = None
    ) -> int:
        seq = int(_meta(conn, "seq", "0"))
        last_hash = _meta(conn, "hash", GENESIS)
        try:
            folded = fold_range(conn, self.ledger_dir, start, end, seq, last_hash, empty=empty, progress=progress)
        except ChainBroken as exc:
            raise StoreError(exc.message, hint=exc.hint) from None
        _set_meta(conn, seq=str(folded.seq), hash=folded.hash, offset=str(folded.offset))
        return folded.count

    # -- queries ----------------------------------------------------------------------

    @property
    def last_seq(self) -> int:
        return int(_meta(self.conn, "seq", "0"))

    def dispatch(self, dispatch_id: str) -> Dispatch | None:
        row = self.conn.execute("SELECT * FROM dispatches WHERE id = ?", (dispatch_id,)).fetchone()
        return Dispatch(**dict(row)) if row else None

    def dispatches(self, states: tuple[str, ...] | None = None) -> list[Dispatch]:
        sql = "SELECT * FROM dispatches"
        args: tuple[Any, ...] = ()
        if states:
            sql += f" WHERE state IN ({', '.join('?' * len(states))})"
            args = states
        rows = self.conn.execute(sql + " ORDER BY created_seq", args).fetchall()
        return [Dispatch(**dict(row)) for row in rows]

    def ids_starting_with(self, prefix: str, limit: int = 2) -> list[str]:
        """Dispatch ids that begin with `prefix` (at most `limit`): resolving a short id."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.conn.execute(
            "SELECT id FROM dispatches WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?", (escaped + "%", limit)
        ).fetchall()
        return [row[0] for row in rows]

    def usage_since(self, provider: str, created_from: str) -> tuple[int, int]:
        """(tokens, micro-dollars) used by the provider's dispatches created at or after `created_from`
        (a timestamp or its date prefix): what a daily budget counts."""
        row = self.conn.execute(
            "SELECT COALESCE(SUM(tokens_in + tokens_out), 0), COALESCE(SUM(cost_micro_usd), 0)"
            " FROM dispatches WHERE provider = ? AND created_ts >= ?",
            (provider, created_from),
        ).fetchone()
        return int(row[0]), int(row[1])

    def gate_results(self, dispatch_id: str) -> list[Row]:
        rows = self.conn.execute("SELECT * FROM gate_results WHERE dispatch = ? ORDER BY gate", (dispatch_id,)).fetchall()
        return [dict(row) for row in rows]

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every projected row, in a stable order (what 'rebuild equals incremental' compares)."""
        out = {}
        for table in PROJECTION_TABLES:
            rows = self.conn.execute(f"SELECT * FROM {table}").fetchall()
            out[table] = sorted(tuple(row) for row in rows)
        out["meta"] = sorted(tuple(row) for row in self.conn.execute("SELECT key, value FROM meta"))
        return out


@contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def _create_private(path: Path) -> None:
    """The store holds what agents printed: 0600 in a 0700 directory (SQLite gives its -wal
    and -shm files the database's mode). Existing ones left more open are tightened."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.parent.stat().st_mode & 0o077:
        os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists() and side.stat().st_mode & 0o077:
            os.chmod(side, 0o600)


def _schema_version(conn: sqlite3.Connection) -> int | None:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    if not exists:
        return None
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else None


def _recreate(conn: sqlite3.Connection) -> None:
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'").fetchall():
        conn.execute(f"DROP TABLE {name}")
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    _set_meta(conn, schema_version=str(SCHEMA_VERSION), seq="0", hash=GENESIS, offset="0")


def _meta(conn: sqlite3.Connection, key: str, default: str) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def _set_meta(conn: sqlite3.Connection, **values: str) -> None:
    conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", values.items())


def ledger_disagreement(db_path: Path, ledger_dir: Path) -> str | None:
    """Why the supervisor's first catch-up would fail, or None; reads only (for `cockpit doctor`).

    The store remembers the last receipt it folded (seq, hash, ledger offset); the ledger
    must continue from exactly there. A missing store, or one of another schema version,
    is fine: it is rebuilt from the ledger.
    """
    if not Path(db_path).exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            if _schema_version(conn) != SCHEMA_VERSION:
                return None
            seq, last_hash = int(_meta(conn, "seq", "0")), _meta(conn, "hash", GENESIS)
            offset = int(_meta(conn, "offset", "0"))
        finally:
            conn.close()
    except (sqlite3.Error, ValueError) as exc:
        return f"the state store {db_path} cannot be read: {exc}"
    end = committed_size(ledger_dir)
    if offset > end:
        return f"the state store is ahead of the ledger (it has folded {offset} bytes, the ledger holds {end})"
    for _, receipt in iter_receipts(ledger_dir, offset, end):
        if receipt.seq != seq + 1 or receipt.prev != last_hash:
            return (
                f"the ledger does not continue where the store left off (the store is at receipt {seq}, "
                f"the ledger's next is {receipt.seq})"
            )
        break
    return None
