"""The fold: how each receipt kind changes the store's rows.

`Projection.apply(r)` is the only writer of projection rows, used both for incremental
catch-up and for rebuilds, which is why the two always agree. It must depend on nothing
but the receipt and the rows (no clock, no environment). Receipt kinds without a handler
change nothing here (they stay in the ledger).

Rows are changed in memory and written by `flush()` in a few `executemany` calls: a
dispatch updated by a thousand receipts of a batch is written once. The semantics are
those of one SQL statement per receipt (tests/store/reference_projection.py is that
older form, and a test checks both fold every history to the same rows): an update of a
dispatch the table does not hold changes nothing, `dispatch_created` replaces the whole
row with the schema's defaults, gate rows are replaced per (dispatch, gate).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from operator import itemgetter
from typing import Any, NamedTuple

from cockpit.domain.json_value import JsonObject, JsonValue
from cockpit.store.gate_rows import GATE_COLUMNS, GATE_ROWS, as_count

# A dispatches row as the fold holds it: SQLite's scalars read from the table, and the
# receipt values the fold copies in (receipts put scalars there; sqlite refuses others at flush).
Row = JsonObject


class Rec(NamedTuple):
    """What the fold reads of a receipt (no hashes: the chain is checked by the caller)."""

    seq: int
    ts: str
    kind: str
    actor: str
    dispatch: str | None
    data: JsonObject


Handler = Callable[["Projection", Rec], None]
HANDLERS: dict[str, Handler] = {}
# Kinds whose only effect is on an existing dispatch row: a receipt of such a kind for a
# dispatch the table does not hold changes nothing, so its data need not even be parsed.
UPDATE_ONLY: set[str] = set()

# Columns a receipt's data may set directly, per kind.
_DIRECT: dict[str, dict[str, str]] = {
    "worktree_created": {"base_commit": "base_commit", "branch": "branch", "worktree": "worktree"},
    "usage": {"input_tokens": "tokens_in", "output_tokens": "tokens_out", "cost_micro_usd": "cost_micro_usd"},
    "diff_stat": {"added": "diff_added", "removed": "diff_removed", "files": "diff_files"},
}


def handles(*kinds: str, update_only: bool = False) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for kind in kinds:
            HANDLERS[kind] = fn
            if update_only:
                UPDATE_ONLY.add(kind)
        return fn

    return register


def _defaults(conn: sqlite3.Connection, table: str) -> tuple[tuple[str, ...], Row]:
    """Column names and their DEFAULT values, read from the schema itself (one source of truth)."""
    names, defaults = [], {}
    for _cid, name, _type, _notnull, default, _pk in conn.execute(f"PRAGMA table_info({table})"):
        names.append(name)
        defaults[name] = None if default is None else json.loads(default.replace("'", '"'))
    return tuple(names), defaults


_UNREAD: Any = object()  # a dispatch the fold has not looked up yet


class Projection:
    """The projection rows of one batch, held in memory until `flush`."""

    def __init__(self, conn: sqlite3.Connection, *, empty: bool = False) -> None:
        self.conn = conn
        self.columns, self.defaults = _defaults(conn, "dispatches")
        self.rows: dict[str, Row | None] = {}  # id -> row, None: not in the table
        self.empty = empty  # the table held nothing when the fold began (a rebuild)
        self.known: set[str] | None = None  # every id in the table, when loaded up front
        self.dirty: set[str] = set()
        self.gates: dict[tuple[str, str], tuple[Any, ...]] = {}
        self.notes: list[tuple[Any, ...]] = []
        self.approvals: list[tuple[Any, ...]] = []

    def load_ids(self) -> None:
        """Read every dispatch id once: worth it before folding many receipts."""
        self.known = {row[0] for row in self.conn.execute("SELECT id FROM dispatches")}

    def has(self, dispatch: str | None) -> bool:
        if dispatch is None:
            return False
        if dispatch in self.rows:
            return self.rows[dispatch] is not None
        if self.empty or (self.known is not None and dispatch not in self.known):
            return False
        return self.row(dispatch) is not None

    def row(self, dispatch: str | None) -> Row | None:
        if dispatch is None:
            return None
        try:
            return self.rows[dispatch]
        except KeyError:
            pass
        found = None
        if not self.empty and (self.known is None or dispatch in self.known):
            cursor = self.conn.execute("SELECT * FROM dispatches WHERE id = ?", (dispatch,))
            fetched = cursor.fetchone()
            if fetched is not None:
                found = dict(zip([c[0] for c in cursor.description], fetched, strict=True))
        self.rows[dispatch] = found
        return found

    def apply(self, r: Rec) -> None:
        handler = HANDLERS.get(r.kind)
        if handler is not None:
            handler(self, r)

    def update(self, dispatch: str | None, ts: str, **cols: JsonValue) -> None:
        row = self.rows.get(dispatch, _UNREAD) if dispatch is not None else None
        if row is _UNREAD:
            row = self.row(dispatch)
        if row is None:
            return
        if cols:
            row.update(cols)
        row["updated_ts"] = ts
        self.dirty.add(str(row["id"]))

    def flush(self, *, dispatches: bool = True) -> None:
        """Write every row changed since the last flush (`dispatches` False: hold the changed
        dispatch rows for a later flush, so a row changed all through a rebuild is written once)."""
        conn = self.conn
        if self.dirty and dispatches:
            names = self.columns
            sql = f"INSERT OR REPLACE INTO dispatches ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            values = itemgetter(*names)  # one C call a row (a generator over 40 columns cost a second per 100,000 rows)
            rows = self.rows
            ids = sorted(self.dirty, key=str)  # in key order: a quarter less work for SQLite's B-tree than a set's order
            conn.executemany(sql, [values(rows[i]) for i in ids])  # type: ignore[arg-type]  # dirty ids have rows
            self.dirty.clear()
        if self.gates:
            conn.executemany(
                f"INSERT OR REPLACE INTO gate_results ({', '.join(GATE_COLUMNS)}) VALUES ({', '.join('?' * len(GATE_COLUMNS))})",
                self.gates.values(),
            )
            self.gates.clear()
        if self.notes:
            conn.executemany("INSERT OR REPLACE INTO notes (seq, ts, actor, text) VALUES (?, ?, ?, ?)", self.notes)
            self.notes.clear()
        if self.approvals:
            conn.executemany(
                "INSERT OR REPLACE INTO approvals (seq, dispatch, ts, decision, actor, diff_sha256,"
                " detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                self.approvals,
            )
            self.approvals.clear()


@handles("dispatch_created")
def _created(p: Projection, r: Rec) -> None:
    d = r.data
    row = dict(p.defaults)
    row.update(
        id=r.dispatch,
        created_seq=r.seq,
        created_ts=r.ts,
        updated_ts=r.ts,
        title=str(d.get("title", "")),
        prompt_sha256=str(d.get("prompt_sha256", "")),
        prompt_bytes=as_count(d.get("prompt_bytes", 0)),
        provider=str(d.get("provider", "")),
        mode=str(d.get("mode", "")),
        priority=as_count(d.get("priority", 0)),
        timeout_s=d.get("timeout_s"),
        base_ref=str(d.get("base_ref", "HEAD")),
        base_commit=d.get("base_commit"),
        branch=str(d.get("branch", "")),
        worktree=str(d.get("worktree", "")),
        target=d.get("target"),
        risk=str(d.get("risk", "medium")),
        task=json.dumps(task, sort_keys=True) if (task := d.get("task", {})) != {} else "{}",
        executor=str(d.get("executor", "local")),  # where it runs: "local" or "ssh:<host>"
    )
    p.rows[r.dispatch] = row  # type: ignore[index]
    p.dirty.add(r.dispatch)  # type: ignore[arg-type]


@handles(*_DIRECT, update_only=True)
def _direct(p: Projection, r: Rec) -> None:
    mapping = _DIRECT[r.kind]
    cols = {column: r.data[key] for key, column in mapping.items() if key in r.data}
    p.update(r.dispatch, r.ts, **cols)


@handles("worker_started", update_only=True)
def _started(p: Projection, r: Rec) -> None:
    p.update(r.dispatch, r.ts, state="starting", started_ts=r.ts)


@handles("prompt_delivered", update_only=True)
def _prompt_delivered(p: Projection, r: Rec) -> None:
    row = p.row(r.dispatch)
    if row is not None:
        p.update(r.dispatch, r.ts, prompt_delivered_ts=r.ts, state="working" if row["state"] == "starting" else row["state"])


@handles("start_failed", update_only=True)
def _start_failed(p: Projection, r: Rec) -> None:
    p.update(r.dispatch, r.ts, state="exited", exit_code=-1, ended_ts=r.ts, error=str(r.data.get("error", "")))


@handles("status_changed", update_only=True)
def _status(p: Projection, r: Rec) -> None:
    p.update(r.dispatch, r.ts, state=str(r.data["to"]), quiet_since_ts=None)


@handles("quiet", update_only=True)
def _quiet(p: Projection, r: Rec) -> None:
    p.update(r.dispatch, r.ts, quiet_since_ts=str(r.data.get("since") or r.ts))


@handles("quiet_ended", update_only=True)
def _quiet_ended(p: Projection, r: Rec) -> None:
    p.update(r.dispatch, r.ts, quiet_since_ts=None)


@handles("exited", update_only=True)
def _exited(p: Projection, r: Rec) -> None:
    p.update(
        r.dispatch,
        r.ts,
        state="exited",
        exit_code=r.data.get("code"),
        ended_ts=r.ts,
        error=r.data.get("error"),
        quiet_since_ts=None,
    )


@handles("timed_out", "killed", "lost", update_only=True)
def _ended(p: Projection, r: Rec) -> None:
    p.update(r.dispatch, r.ts, state=r.kind, ended_ts=r.ts, error=r.data.get("error"), quiet_since_ts=None)


@handles("torn_down", update_only=True)
def _torn_down(p: Projection, r: Rec) -> None:
    p.update(r.dispatch, r.ts, teardown=str(r.data.get("classification")), archive_ref=r.data.get("archive_ref"))


@handles("restored", update_only=True)
def _restored(p: Projection, r: Rec) -> None:
    # `restore --host NAME` makes that host the dispatch's executor (its worktree is there now).
    moved = {"executor": str(r.data["executor"])} if "executor" in r.data else {}
    p.update(r.dispatch, r.ts, teardown=None, **moved)


@handles("review_changed", update_only=True)
def _review(p: Projection, r: Rec) -> None:
    p.update(r.dispatch, r.ts, review=str(r.data["to"]))


@handles("note")
def _note(p: Projection, r: Rec) -> None:
    p.notes.append((r.seq, r.ts, r.actor, str(r.data.get("text", ""))))


@handles(*GATE_ROWS)
def _gate(p: Projection, r: Rec) -> None:
    row = GATE_ROWS[r.kind](r.dispatch, r.seq, r.ts, r.data)
    p.gates[(r.dispatch, row[1])] = row  # type: ignore[index]
    p.update(r.dispatch, r.ts)


@handles("worker_resumed", update_only=True)
def _resumed(p: Projection, r: Rec) -> None:
    """A dispatch sent back to its agent runs again in the same worktree."""
    p.update(
        r.dispatch,
        r.ts,
        state="starting",
        exit_code=None,
        ended_ts=None,
        started_ts=r.ts,
        prompt_delivered_ts=None,
        error=None,
        quiet_since_ts=None,
        paused_from=None,
        paused_ts=None,
        paused_ms=0,
    )


@handles("approved", "rejected", "promoted", "promotion_failed")
def _decision(p: Projection, r: Rec) -> None:
    p.approvals.append((r.seq, r.dispatch, r.ts, r.kind, r.actor, r.data.get("diff_sha256"), json.dumps(r.data, sort_keys=True)))
    review = {"rejected": "rejected", "promoted": "promoted"}.get(r.kind)
    if review:
        p.update(r.dispatch, r.ts, review=review)
    else:
        p.update(r.dispatch, r.ts)


@handles("paused", update_only=True)
def _paused(p: Projection, r: Rec) -> None:
    p.update(r.dispatch, r.ts, state="paused", paused_from=r.data.get("from"), paused_ts=r.ts, quiet_since_ts=None)


@handles("resumed", update_only=True)
def _unpaused(p: Projection, r: Rec) -> None:
    row = p.row(r.dispatch)
    if row is not None:
        p.update(
            r.dispatch,
            r.ts,
            state=str(r.data.get("to") or "working"),
            paused_from=None,
            paused_ts=None,
            paused_ms=as_count(row["paused_ms"] or 0) + as_count(r.data.get("paused_ms") or 0),
        )


@handles("budget_exceeded", update_only=True)
def _budget_exceeded(p: Projection, r: Rec) -> None:
    p.update(r.dispatch, r.ts, budget_exceeded=r.data.get("limit"))
