"""How facts about a worker read on screen: pure functions of a dispatch view and a clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from pydantic import ValidationError

from cockpit.domain.dispatch import LIVE_STATES, WorkerState
from cockpit.domain.gates import Finding
from cockpit.protocol.replies import ReviewGate
from cockpit.protocol.views import DispatchView, GateResultRow

# Each state has a glyph and a word, so it reads without colour; the colour is a theme
# variable name, so it follows the theme.
STATES: dict[str, tuple[str, str, str]] = {
    "queued": ("…", "queued", "foreground-muted"),
    "starting": ("◌", "starting", "secondary"),
    "working": ("▶", "working", "success"),
    "waiting": ("?", "WAITING", "warning"),
    "idle": ("◦", "idle", "primary"),
    "paused": ("‖", "paused", "warning"),
    "unreachable": ("⌁", "UNREACHABLE", "warning"),  # on an SSH host that does not answer (docs/hosts.md)
    "exited": ("■", "exited", "foreground-muted"),
    "timed_out": ("⧗", "timed out", "error"),
    "killed": ("✕", "killed", "error"),
    "lost": ("!", "lost", "error"),
}
REVIEWS: dict[str, tuple[str, str]] = {
    "none": ("", "foreground-muted"),
    "gating": ("gating", "secondary"),
    "changes_requested": ("changes", "error"),
    "awaiting_approval": ("approve?", "accent"),
    "no_changes": ("no changes", "foreground-muted"),
    "stale": ("stale", "warning"),
    "promoted": ("merged", "success"),
    "rejected": ("rejected", "error"),
}
GATE_MARKS: dict[str, tuple[str, str]] = {
    "passed": ("✓", "success"),
    "failed": ("✗", "error"),
    "error": ("!", "error"),
    "running": ("…", "secondary"),
    "not_run": ("·", "foreground-muted"),
    "stale": ("~", "warning"),
}
LIVE = frozenset(str(state) for state in LIVE_STATES)  # the domain's, as the views spell them
LOCAL = "local"  # the executor of this machine (docs/hosts.md)

# When a key applies to the selected worker (keys.py names these in `needs`): the footer and
# the palette offer only those, so a merged worker is never offered approve, gates or reject.
APPLIES: dict[str, Callable[[DispatchView], bool]] = {
    "selected": lambda view: True,
    "live": lambda view: view.state in LIVE,
    "waiting": lambda view: view.state == "waiting",
    "unmerged": lambda view: view.review != "promoted",
    "undecided": lambda view: view.review not in ("promoted", "rejected"),
}


def applies(needs: str, view: DispatchView | None) -> bool:
    if not needs:
        return True
    return view is not None and bool(APPLIES[needs](view))


@lru_cache(maxsize=4096)  # the board parses the same few timestamps every second
def parse_ts(ts: str | None) -> datetime | None:
    if not ts:
        return None
    try:
        return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def elapsed_s(view: DispatchView, now: datetime) -> float | None:
    """Seconds since the worker started, to its end or to `now` (the injected clock)."""
    start = parse_ts(view.started_ts)
    if start is None:
        return None
    end = parse_ts(view.ended_ts) or now
    paused_at = parse_ts(view.paused_ts)
    if paused_at is not None:  # a paused worker's clock stands still (as its timeout's does)
        end = min(end, paused_at)
    return max(0.0, (end - start).total_seconds() - view.paused_ms / 1000)


def quiet_seconds(view: DispatchView, now: datetime) -> int | None:
    """How long a working worker has printed nothing, once that passed the quiet threshold
    (the supervisor sets `quiet_since_ts` then; service/views.py reads it the same way)."""
    since = parse_ts(view.quiet_since_ts) if view.state == WorkerState.WORKING else None
    return None if since is None else max(0, int((now - since).total_seconds()))


def host_of(view: DispatchView) -> str:
    """Where the worker runs: `local`, or the name of its SSH host (executor `ssh:NAME`)."""
    return (view.executor or LOCAL).removeprefix("ssh:")


def fmt_elapsed(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    # To the minute: a column that changes every second makes Textual's DataTable redraw every
    # cell every second, which was the bulk of an idle TUI's CPU with many live workers.
    s = int(seconds)
    if s >= 86400:
        return f"{s // 86400}d{s % 86400 // 3600:02d}h"
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m" if s >= 60 else "<1m"


def fmt_tokens(count: int | None) -> str:
    n = int(count or 0)
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


def fmt_cost(cost_usd: str | None) -> str:
    try:
        value = Decimal(cost_usd or "0")
    except InvalidOperation:
        return "-"
    if value == 0:
        return "-"
    return f"${value:.2f}" if value >= Decimal("0.01") else "<$0.01"


def fmt_diff(view: DispatchView) -> str:
    added, removed = view.diff_added, view.diff_removed
    return f"+{added}/-{removed}" if added or removed else "-"


def state_of(view: DispatchView, now: datetime | None = None) -> tuple[str, str, str]:
    """(glyph, word, theme colour variable) for the worker's state; with `now`, a working
    worker that has printed nothing for too long reads "no output 3m", not "working"."""
    state = view.state or "queued"
    glyph, word, colour = STATES.get(state, ("?", state, "foreground"))
    if now is not None and (quiet := quiet_seconds(view, now)) is not None:
        return "▷", f"no output {fmt_elapsed(quiet)}", "warning"
    if state == "exited" and view.exit_code not in (None, 0):
        word = f"exit {view.exit_code}"
        colour = "error"
    return glyph, word, colour


@dataclass(frozen=True)
class GateLine:
    """One gate as the board and the gates panel show it: from a stored result row, from the
    supervisor's review, or a run started from here that has not finished."""

    name: str
    status: str
    summary: str = ""
    findings: tuple[Finding, ...] = ()
    required: bool = True

    @classmethod
    def of_review(cls, gate: ReviewGate) -> GateLine:
        return cls(gate.name, str(gate.status), gate.summary, tuple(gate.findings), gate.required)


def stored_findings(row: GateResultRow) -> tuple[Finding, ...]:
    """A stored row's findings (JSON text, as recorded); one that does not read is left out."""
    try:
        raw = json.loads(row.findings)
    except ValueError:
        return ()
    found = []
    for item in raw if isinstance(raw, list) else []:
        try:
            found.append(Finding.model_validate(item))
        except ValidationError:
            continue
    return tuple(found)


def gate_rows(view: DispatchView) -> list[GateLine]:
    """The stored gate rows of a view, with findings decoded."""
    return [GateLine(row.gate, row.status, row.summary, stored_findings(row)) for row in view.gates or []]


def shown_review(view: DispatchView) -> str:
    """The review state the board shows (the supervisor says `stale` itself once the evidence
    no longer matches the worktree: service/freshness.py)."""
    return view.review or "none"


def gate_summary(view: DispatchView, *, short: bool = False) -> tuple[str, str]:
    """A short 'passed/total' summary of the gates and a colour variable for it."""
    statuses = [row.status for row in view.gates or []]  # the findings are the panel's, not the board's
    review = shown_review(view)
    if not statuses or review == "no_changes":  # no gate judged an empty diff: its rows, if any, are older
        label, colour = REVIEWS.get(review, (review, "foreground"))
        return (label or "-"), colour
    passed = statuses.count("passed")
    failing = any(s in ("failed", "error") for s in statuses)
    running = "running" in statuses
    mark = "✗" if failing else "…" if running else "✓" if passed == len(statuses) else "·"
    colour = "error" if failing else "secondary" if running else "success" if passed == len(statuses) else "warning"
    if review == "stale" and not running:  # the results judged another diff than the worktree's
        mark, colour = "~", "warning"
    label = f"{mark}{passed}/{len(statuses)}"
    extra = REVIEWS.get(review, ("", ""))[0]
    if review in ("awaiting_approval", "promoted", "rejected", "no_changes", "stale") and extra and not short:
        label += f" {extra}"
    return label, colour


def matches(view: DispatchView, needle: str) -> bool:
    """The `/` filter: every word must appear in the id, title, provider, host, state or review,
    as stored or as the board shows them ("merged", "approve?", "no changes", "stale", ...).
    Plain words, never a pattern: `[a-(` simply matches nothing."""
    _glyph, word, _colour = state_of(view)
    review = shown_review(view)
    hay = " ".join(
        [
            view.id,
            view.title,
            view.provider,
            view.state,
            host_of(view),
            review,
            word,
            REVIEWS.get(review, (review, ""))[0],
        ]
    ).lower()
    return all(word in hay for word in needle.lower().split())
