"""The `gate_results` rows: one per (dispatch, gate), replaced by each gate receipt.

A `gate_started` receipt writes the row of a running gate (what it checks, no result yet);
its `gate_result` replaces it with the result. Both fold paths (projection.py's handler and
the rebuild's fold_vouched.py) build rows here only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cockpit.domain.json_value import JsonObject, JsonValue

GATE_COLUMNS = (
    # which run: the key, the receipt, the gate's kind, its status
    "dispatch",
    "gate",
    "seq",
    "ts",
    "kind",
    "status",
    # what it checked
    "base_commit",
    "head_commit",
    "diff_sha256",
    "tree",
    # its result
    "report",
    "report_sha256",
    "command",
    "exit_code",
    "summary",
    "findings",
    "tokens_in",
    "tokens_out",
    "cost_micro_usd",
    "duration_ms",
)
_NO_RESULT_YET = (None, None, None, None, "", "[]", 0, 0, 0, 0)


def as_count(value: JsonValue) -> int:
    """int() of a count a receipt carries (a number or numeric string); anything else fails as int() does."""
    if value is None or isinstance(value, list | dict):
        raise TypeError(f"int() argument must be a string or a number, not {type(value).__name__!r}")
    return int(value)


def _json(value: JsonValue) -> str:
    # json.dumps costs microseconds; most gate results have no findings at all
    return "[]" if value == [] and type(value) is list else json.dumps(value, sort_keys=True)


def _checked(d: JsonObject) -> tuple[Any, ...]:
    return (d.get("base_commit"), d.get("head_commit"), d.get("diff_sha256"), d.get("tree"))


def gate_started_row(dispatch: str | None, seq: int, ts: str, d: JsonObject) -> tuple[Any, ...]:
    """A gate run began: its row says `running` until its result replaces it."""
    return (dispatch, str(d["gate"]), seq, ts, str(d.get("kind", "")), "running", *_checked(d), *_NO_RESULT_YET)


def gate_result_row(dispatch: str | None, seq: int, ts: str, d: JsonObject) -> tuple[Any, ...]:
    return (
        dispatch,
        str(d["gate"]),
        seq,
        ts,
        str(d.get("kind", "")),
        str(d["status"]),
        *_checked(d),
        d.get("report"),
        d.get("report_sha256"),
        d.get("command"),
        d.get("exit_code"),
        str(d.get("summary", "")),
        _json(d.get("findings", [])),
        as_count(d.get("tokens_in", 0)),
        as_count(d.get("tokens_out", 0)),
        as_count(d.get("cost_micro_usd", 0)),
        as_count(d.get("duration_ms", 0)),
    )


# The gate kinds: each replaces the row of its (dispatch, gate) and touches the dispatch's updated_ts.
GATE_ROWS: dict[str, Callable[[str | None, int, str, JsonObject], tuple[Any, ...]]] = {
    "gate_started": gate_started_row,
    "gate_result": gate_result_row,
}
