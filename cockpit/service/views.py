"""What the CLI and the TUI are told about a dispatch: the store's row plus derived facts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports this module for `summarize`: keep it free of pydantic
    from cockpit.domain.dispatch import Dispatch
    from cockpit.protocol.views import DispatchView, GateResultRow


def parse_ts(ts: str | None) -> datetime | None:
    if not ts:
        return None
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def elapsed_seconds(d: Dispatch, now: datetime | None = None) -> float | None:
    """How long its current run has run: paused time does not count (nor does the timeout's clock)."""
    start = parse_ts(d.started_ts)
    if start is None:
        return None
    end = parse_ts(d.ended_ts) or now or datetime.now(UTC)
    paused_at = parse_ts(d.paused_ts)
    if paused_at is not None:  # paused now, or ended while paused: the clock stopped there
        end = min(end, paused_at)
    return max(0.0, (end - start).total_seconds() - d.paused_ms / 1000)


def usd(micro: int) -> str:
    return str((Decimal(micro) / Decimal(1_000_000)).quantize(Decimal("0.000001")))


def dispatch_view(
    d: Dispatch,
    *,
    log: str | None = None,
    gates: list[GateResultRow] | None = None,
    as_of_seq: int | None = None,
    now: datetime | None = None,
) -> DispatchView:
    """The view clients get; `log`, `gates` and `as_of_seq` are on it only when given."""
    from cockpit.protocol.views import DispatchView

    now = now or datetime.now(UTC)
    quiet = quiet_for(str(d.state), d.quiet_since_ts, now)
    view = DispatchView(
        **d.model_dump(mode="json", exclude={"task"}),
        task=json.loads(d.task),
        elapsed_s=None if (e := elapsed_seconds(d, now)) is None else round(e, 3),
        cost_usd=usd(d.cost_micro_usd),
        tokens=d.tokens_in + d.tokens_out,
        live=d.live,
        quiet_s=quiet,
        state_detail=state_detail(quiet),
    )
    # Assigned, not passed as None: a field never set stays off the wire (exclude_unset).
    if log is not None:
        view.log = log
    if gates is not None:
        view.gates = gates
    if as_of_seq is not None:
        view.as_of_seq = as_of_seq
    return view


def quiet_for(state: str, quiet_since_ts: str | None, now: datetime) -> int | None:
    """How long a working worker has printed nothing, once that passed the quiet threshold."""
    since = parse_ts(quiet_since_ts) if state == "working" else None
    return None if since is None else max(0, int((now - since).total_seconds()))


def quiet_seconds(view: DispatchView | Mapping[str, object], now: datetime) -> int | None:
    """`quiet_for` of a view: the supervisor's model, or its wire JSON as a client may hold it."""
    if isinstance(view, Mapping):
        state, since = view.get("state"), view.get("quiet_since_ts")
    else:
        state, since = view.state, view.quiet_since_ts
    return quiet_for(str(state), since if isinstance(since, str) else None, now)


def state_detail(quiet: int | None) -> str | None:
    """What the state alone does not say: "no output for N s" for a silent working worker."""
    return None if quiet is None else f"no output for {quiet} s"


def summarize(data: Mapping[str, object], limit: int = 90) -> str:
    """A receipt's data on one short line (`key=value ...`), for the CLI and the TUI. Any kind's
    data: whatever JSON its receipt carries (a ledger may hold kinds this version does not know)."""
    parts = []
    for key, value in data.items():
        if isinstance(value, dict | list):
            value = json.dumps(value, separators=(",", ":"), sort_keys=True)
        parts.append(f"{key}={value}")
    text = " ".join(parts).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"
