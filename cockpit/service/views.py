"""What the CLI and the TUI are told about a dispatch: the store's row plus derived facts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI imports this module for `summarize`: keep it free of pydantic
    from cockpit.domain.dispatch import Dispatch


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
    d: Dispatch, *, log: str | None = None, gates: list[dict[str, Any]] | None = None, now: datetime | None = None
) -> dict[str, Any]:
    view = d.model_dump(mode="json")
    view["task"] = json.loads(d.task)
    view["elapsed_s"] = None if (e := elapsed_seconds(d, now)) is None else round(e, 3)
    view["cost_usd"] = usd(d.cost_micro_usd)
    view["tokens"] = d.tokens_in + d.tokens_out
    view["live"] = d.live
    quiet = quiet_seconds(view, now or datetime.now(UTC))
    view["quiet_s"] = quiet
    view["state_detail"] = state_detail(view, now or datetime.now(UTC))
    if log is not None:
        view["log"] = log
    if gates is not None:
        view["gates"] = gates
    return view


def quiet_seconds(view: dict[str, Any], now: datetime) -> int | None:
    """How long a working worker has printed nothing, once that passed the quiet threshold."""
    since = parse_ts(view.get("quiet_since_ts")) if view.get("state") == "working" else None
    return None if since is None else max(0, int((now - since).total_seconds()))


def state_detail(view: dict[str, Any], now: datetime) -> str | None:
    """What the state alone does not say: "no output for N s" for a silent working worker."""
    quiet = quiet_seconds(view, now)
    return None if quiet is None else f"no output for {quiet} s"


def summarize(data: dict[str, Any], limit: int = 90) -> str:
    """A receipt's data on one short line (`key=value ...`), for the CLI and the TUI."""
    parts = []
    for key, value in data.items():
        if isinstance(value, dict | list):
            value = json.dumps(value, separators=(",", ":"), sort_keys=True)
        parts.append(f"{key}={value}")
    text = " ".join(parts).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"
