"""Budgets enforced: a dispatch's own (its task packet) and each provider's daily one (config).

A dispatch's limits (`max_tokens`, `max_cost_usd`) are checked on every `usage` receipt,
whose totals already add up every round of the dispatch: the first report at or over a
limit records `budget_exceeded` (which the notifier passes on) and then pauses the worker
(`on_budget: pause`, the default: nothing is lost, the operator decides) or stops it
(`on_budget: stop`). It fires once per dispatch: a worker the operator resumes after it
goes on. A provider's daily budget refuses new dispatches once its dispatches created
today (UTC) have spent it.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from cockpit.domain.budget import Budget, describe
from cockpit.domain.dispatch import WorkerState
from cockpit.errors import CheckFailed, CockpitError
from cockpit.protocol.events import Event, ReceiptAppended
from cockpit.service.context import Context, log


def spent_today(ctx: Context, provider: str, now: datetime | None = None) -> tuple[int, int]:
    """(tokens, micro-dollars) used by the provider's dispatches created today, UTC."""
    return ctx.ws.store.usage_since(provider, (now or datetime.now(UTC)).strftime("%Y-%m-%d"))


def check_daily_budget(ctx: Context, provider: str) -> None:
    """CheckFailed (exit 1, nothing written) when the provider has spent today's budget."""
    limit = ctx.config.budgets.daily.get(provider)
    if limit is None:
        return
    ctx.ws.store.catch_up()
    hit = limit.exceeded(*spent_today(ctx, provider))
    if hit is not None:
        raise CheckFailed(
            f"provider {provider} has used its daily budget ({describe(*hit)} today, UTC); no dispatch was created",
            hint=f"wait until 00:00 UTC, use another --provider, or raise budgets.daily.{provider} in .cockpit/config.yaml",
        )


class BudgetWatch:
    """Follows the receipts (a bus listener); acts on the first usage report over a limit."""

    def __init__(self, ctx: Context, pauser: Any, workers: Any) -> None:
        self.ctx = ctx
        self.pauser = pauser
        self.workers = workers
        self._acting: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def on_event(self, event: Event) -> None:
        if not isinstance(event, ReceiptAppended):
            return
        receipt = event.receipt
        if receipt.kind == "usage" and receipt.dispatch:
            task = asyncio.get_running_loop().create_task(self.check(receipt.dispatch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def check(self, dispatch_id: str) -> None:
        ctx = self.ctx
        d = ctx.ws.store.dispatch(dispatch_id)
        if d is None or d.budget_exceeded or dispatch_id in self._acting:
            return
        budget = Budget.of_task(json.loads(d.task or "{}"))
        hit = budget.exceeded(d.tokens_in + d.tokens_out, d.cost_micro_usd) if budget.any else None
        if hit is None:
            return
        self._acting.add(dispatch_id)
        try:
            running = d.live and d.state != WorkerState.PAUSED
            action = budget.on_budget if running else "none"
            limit, allowed, spent = hit
            ctx.record(
                "budget_exceeded",
                dispatch_id,
                limit=limit,
                allowed=allowed,
                spent=spent,
                action=action,
                text=describe(limit, allowed, spent),
            )
            if action == "pause":
                await self.pauser.pause(dispatch_id, actor="supervisor", reason="budget_exceeded")
            elif action == "stop":
                await self.workers.kill(dispatch_id, actor="supervisor")
        except CockpitError as exc:  # it ended meanwhile, or would not stop: the receipt says what was hit
            log.warning("budget of %s exceeded, but %s", dispatch_id, exc)
        finally:
            self._acting.discard(dispatch_id)
