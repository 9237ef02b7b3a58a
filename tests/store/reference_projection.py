"""The test oracle: the projection as it was written before the batch fold, one SQL statement per receipt.

cockpit/store/projection.py folds in memory and writes changed rows in batches; this
simple form is what its semantics are checked against (tests/store/test_projection.py).
Kinds without a handler change nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cockpit.domain.receipt import Receipt
from cockpit.ledger.reader import iter_receipts
from cockpit.store import Store

Handler = Callable[[sqlite3.Connection, Receipt], None]
HANDLERS: dict[str, Handler] = {}

# Columns a receipt's data may set directly, per kind.
_DIRECT: dict[str, dict[str, str]] = {
    "worktree_created": {"base_commit": "base_commit", "branch": "branch", "worktree": "worktree"},
    "usage": {"input_tokens": "tokens_in", "output_tokens": "tokens_out", "cost_micro_usd": "cost_micro_usd"},
    "diff_stat": {"added": "diff_added", "removed": "diff_removed", "files": "diff_files"},
}


def handles(*kinds: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for kind in kinds:
            HANDLERS[kind] = fn
        return fn

    return register


def apply(conn: sqlite3.Connection, receipt: Receipt) -> None:
    handler = HANDLERS.get(receipt.kind)
    if handler is not None:
        handler(conn, receipt)


def _update(conn: sqlite3.Connection, dispatch: str | None, ts: str, **cols: Any) -> None:
    if dispatch is None:
        return
    cols["updated_ts"] = ts
    assignments = ", ".join(f"{name} = ?" for name in cols)
    conn.execute(f"UPDATE dispatches SET {assignments} WHERE id = ?", (*cols.values(), dispatch))


@handles("dispatch_created")
def _created(conn: sqlite3.Connection, r: Receipt) -> None:
    d = r.data
    conn.execute(
        """INSERT OR REPLACE INTO dispatches (id, created_seq, created_ts, updated_ts, title, prompt_sha256,
               prompt_bytes, provider, mode, priority, timeout_s, base_ref, base_commit, branch, worktree, target,
               risk, task)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            r.dispatch,
            r.seq,
            r.ts,
            r.ts,
            str(d.get("title", "")),
            str(d.get("prompt_sha256", "")),
            int(d.get("prompt_bytes", 0)),
            str(d.get("provider", "")),
            str(d.get("mode", "")),
            int(d.get("priority", 0)),
            d.get("timeout_s"),
            str(d.get("base_ref", "HEAD")),
            d.get("base_commit"),
            str(d.get("branch", "")),
            str(d.get("worktree", "")),
            d.get("target"),
            str(d.get("risk", "medium")),
            json.dumps(d.get("task", {}), sort_keys=True),
        ),
    )


@handles(*_DIRECT)
def _direct(conn: sqlite3.Connection, r: Receipt) -> None:
    mapping = _DIRECT[r.kind]
    cols = {column: r.data[key] for key, column in mapping.items() if key in r.data}
    _update(conn, r.dispatch, r.ts, **cols)


@handles("worker_started")
def _started(conn: sqlite3.Connection, r: Receipt) -> None:
    _update(conn, r.dispatch, r.ts, state="starting", started_ts=r.ts)


@handles("prompt_delivered")
def _prompt_delivered(conn: sqlite3.Connection, r: Receipt) -> None:
    conn.execute(
        "UPDATE dispatches SET prompt_delivered_ts = ?, updated_ts = ?,"
        " state = CASE state WHEN 'starting' THEN 'working' ELSE state END WHERE id = ?",
        (r.ts, r.ts, r.dispatch),
    )


@handles("start_failed")
def _start_failed(conn: sqlite3.Connection, r: Receipt) -> None:
    _update(conn, r.dispatch, r.ts, state="exited", exit_code=-1, ended_ts=r.ts, error=str(r.data.get("error", "")))


@handles("status_changed")
def _status(conn: sqlite3.Connection, r: Receipt) -> None:
    _update(conn, r.dispatch, r.ts, state=str(r.data["to"]), quiet_since_ts=None)


@handles("quiet")
def _quiet(conn: sqlite3.Connection, r: Receipt) -> None:
    _update(conn, r.dispatch, r.ts, quiet_since_ts=str(r.data.get("since") or r.ts))


@handles("quiet_ended")
def _quiet_ended(conn: sqlite3.Connection, r: Receipt) -> None:
    _update(conn, r.dispatch, r.ts, quiet_since_ts=None)


@handles("exited")
def _exited(conn: sqlite3.Connection, r: Receipt) -> None:
    _update(
        conn,
        r.dispatch,
        r.ts,
        state="exited",
        exit_code=r.data.get("code"),
        ended_ts=r.ts,
        error=r.data.get("error"),
        quiet_since_ts=None,
    )


@handles("timed_out", "killed", "lost")
def _ended(conn: sqlite3.Connection, r: Receipt) -> None:
    _update(conn, r.dispatch, r.ts, state=r.kind, ended_ts=r.ts, error=r.data.get("error"), quiet_since_ts=None)


@handles("torn_down")
def _torn_down(conn: sqlite3.Connection, r: Receipt) -> None:
    _update(conn, r.dispatch, r.ts, teardown=str(r.data.get("classification")), archive_ref=r.data.get("archive_ref"))


@handles("restored")
def _restored(conn: sqlite3.Connection, r: Receipt) -> None:
    _update(conn, r.dispatch, r.ts, teardown=None)


@handles("review_changed")
def _review(conn: sqlite3.Connection, r: Receipt) -> None:
    _update(conn, r.dispatch, r.ts, review=str(r.data["to"]))


@handles("note")
def _note(conn: sqlite3.Connection, r: Receipt) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO notes (seq, ts, actor, text) VALUES (?, ?, ?, ?)",
        (r.seq, r.ts, r.actor, str(r.data.get("text", ""))),
    )


@handles("gate_started")
def _gate_started(conn: sqlite3.Connection, r: Receipt) -> None:
    """A gate run began: its row says `running` until its result replaces it."""
    conn.execute(
        """INSERT OR REPLACE INTO gate_results (dispatch, gate, seq, ts, kind, status, base_commit, head_commit,
               diff_sha256, tree)
           VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)""",
        (
            r.dispatch,
            str(r.data["gate"]),
            r.seq,
            r.ts,
            str(r.data.get("kind", "")),
            r.data.get("base_commit"),
            r.data.get("head_commit"),
            r.data.get("diff_sha256"),
            r.data.get("tree"),
        ),
    )
    _update(conn, r.dispatch, r.ts)


@handles("gate_result")
def _gate_result(conn: sqlite3.Connection, r: Receipt) -> None:
    d = r.data
    conn.execute(
        """INSERT OR REPLACE INTO gate_results (dispatch, gate, seq, ts, kind, status, base_commit, head_commit,
               diff_sha256, tree, report, report_sha256, command, exit_code, summary, findings, tokens_in,
               tokens_out, cost_micro_usd, duration_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            r.dispatch,
            str(d["gate"]),
            r.seq,
            r.ts,
            str(d.get("kind", "")),
            str(d["status"]),
            d.get("base_commit"),
            d.get("head_commit"),
            d.get("diff_sha256"),
            d.get("tree"),
            d.get("report"),
            d.get("report_sha256"),
            d.get("command"),
            d.get("exit_code"),
            str(d.get("summary", "")),
            json.dumps(d.get("findings", []), sort_keys=True),
            int(d.get("tokens_in", 0)),
            int(d.get("tokens_out", 0)),
            int(d.get("cost_micro_usd", 0)),
            int(d.get("duration_ms", 0)),
        ),
    )
    _update(conn, r.dispatch, r.ts)


@handles("worker_resumed")
def _resumed(conn: sqlite3.Connection, r: Receipt) -> None:
    """A dispatch sent back to its agent runs again in the same worktree."""
    _update(
        conn,
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
def _decision(conn: sqlite3.Connection, r: Receipt) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO approvals (seq, dispatch, ts, decision, actor, diff_sha256, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (r.seq, r.dispatch, r.ts, r.kind, r.actor, r.data.get("diff_sha256"), json.dumps(r.data, sort_keys=True)),
    )
    review = {"rejected": "rejected", "promoted": "promoted"}.get(r.kind)
    if review:
        _update(conn, r.dispatch, r.ts, review=review)
    else:
        _update(conn, r.dispatch, r.ts)


@handles("paused")
def _paused(conn: sqlite3.Connection, r: Receipt) -> None:
    _update(conn, r.dispatch, r.ts, state="paused", paused_from=r.data.get("from"), paused_ts=r.ts, quiet_since_ts=None)


@handles("resumed")
def _unpaused(conn: sqlite3.Connection, r: Receipt) -> None:
    conn.execute(
        "UPDATE dispatches SET state = ?, paused_from = NULL, paused_ts = NULL, paused_ms = paused_ms + ?,"
        " updated_ts = ? WHERE id = ?",
        (str(r.data.get("to") or "working"), int(r.data.get("paused_ms") or 0), r.ts, r.dispatch),
    )


@handles("budget_exceeded")
def _budget_exceeded(conn: sqlite3.Connection, r: Receipt) -> None:
    _update(conn, r.dispatch, r.ts, budget_exceeded=r.data.get("limit"))


def snapshot(root: Path) -> dict:
    """The ledger in `root` projected one statement per receipt (into root/reference.db), as
    `Store.snapshot()` shows a store: what a fold of that ledger must equal."""
    reference = Store(root / "reference.db", root)
    conn = reference.conn
    conn.execute("BEGIN")
    for _offset, receipt in iter_receipts(root):
        apply(conn, receipt)
    conn.execute("COMMIT")
    return reference.snapshot()
