"""Budgets: how many tokens and how much money a dispatch, or a provider in a day, may spend.

Money is kept as whole micro-dollars (the ledger's unit for cost), never as floats; a limit
is given in dollars (`--max-cost 1.50`, `max_cost_usd: 1.50`) and converted once, here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

ON_BUDGET = ("pause", "stop")
MICRO = Decimal(1_000_000)


def usd_to_micro(value: Any, what: str = "a cost budget") -> int:
    """A positive amount of dollars as micro-dollars; ValueError saying what is wrong otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{what} must be a positive number of dollars, got {value!r}")
    try:
        amount = Decimal(str(value).strip().removeprefix("$"))
    except InvalidOperation:
        raise ValueError(f"{what} must be a positive number of dollars, got {value!r}") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"{what} must be a positive number of dollars, got {value!r}")
    micro = amount * MICRO
    if micro != micro.to_integral_value():
        raise ValueError(f"{what} has more than 6 decimal places (a micro-dollar is the smallest unit): {value!r}")
    return int(micro)


def positive_tokens(value: Any, what: str = "a token budget") -> int:
    """A positive whole number of tokens; ValueError saying what is wrong otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{what} must be a positive whole number of tokens, got {value!r}")
    try:
        tokens = int(str(value).strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"{what} must be a positive whole number of tokens, got {value!r}") from None
    if tokens <= 0:
        raise ValueError(f"{what} must be a positive whole number of tokens, got {value!r}")
    return tokens


def dollars_to_micro(data: Any) -> Any:
    """A mapping's `max_cost_usd` (dollars, as people write them) as `max_cost_micro_usd`."""
    if isinstance(data, dict) and "max_cost_usd" in data:
        data = dict(data)
        value = data.pop("max_cost_usd")
        if value is not None:
            data["max_cost_micro_usd"] = usd_to_micro(value, "max_cost_usd")
    return data


def micro_to_usd(micro: int) -> str:
    return str((Decimal(micro) / MICRO).quantize(Decimal("0.000001")))


class BudgetFields(TypedDict, total=False):
    """The budget keys of a task packet as the dispatch recorded it (TaskPacket.public())."""

    max_tokens: int | None
    max_cost_micro_usd: int | None
    on_budget: str | None


@dataclass(frozen=True)
class Budget:
    """One dispatch's limits (from its task packet), summed over all its rounds."""

    max_tokens: int | None = None
    max_cost_micro_usd: int | None = None
    on_budget: str = "pause"

    @classmethod
    def of_task(cls, task: BudgetFields) -> Budget:
        return cls(task.get("max_tokens"), task.get("max_cost_micro_usd"), str(task.get("on_budget") or "pause"))

    @property
    def any(self) -> bool:
        return self.max_tokens is not None or self.max_cost_micro_usd is not None

    def exceeded(self, tokens: int, cost_micro_usd: int) -> tuple[str, int, int] | None:
        """(which limit, the limit, the amount spent) once spending has reached a limit."""
        if self.max_tokens is not None and tokens >= self.max_tokens:
            return "tokens", self.max_tokens, tokens
        if self.max_cost_micro_usd is not None and cost_micro_usd >= self.max_cost_micro_usd:
            return "cost", self.max_cost_micro_usd, cost_micro_usd
        return None


def describe(limit: str, allowed: int, spent: int) -> str:
    if limit == "tokens":
        return f"{spent} tokens used of a {allowed}-token budget"
    return f"${micro_to_usd(spent)} spent of a ${micro_to_usd(allowed)} budget"


class DailyBudget(BaseModel):
    """`budgets: {daily: {PROVIDER: {max_cost_usd: 5, max_tokens: 2000000}}}` in .cockpit/config.yaml:
    once a provider's dispatches created today (UTC) have spent that much, new ones are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_tokens: int | None = None
    max_cost_micro_usd: int | None = None

    _dollars = model_validator(mode="before")(lambda cls, data: dollars_to_micro(data))
    _tokens = field_validator("max_tokens", mode="before")(lambda cls, v: None if v is None else positive_tokens(v, "max_tokens"))
    _micro = field_validator("max_cost_micro_usd", mode="before")(
        lambda cls, v: None if v is None else positive_tokens(v, "max_cost_micro_usd")
    )

    def exceeded(self, tokens: int, cost_micro_usd: int) -> tuple[str, int, int] | None:
        return Budget(self.max_tokens, self.max_cost_micro_usd).exceeded(tokens, cost_micro_usd)
