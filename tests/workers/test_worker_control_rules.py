"""The pure rules of pausing and budgets (cockpit/domain): which states pause and resume, what
a resume returns to, how budgets read and when they are exceeded."""

from __future__ import annotations

import pytest

from cockpit.domain.budget import Budget, DailyBudget, describe, positive_tokens, usd_to_micro
from cockpit.domain.dispatch import FINAL_STATES, WorkerState, can_pause, can_transition, is_live, resume_state

RUNNING = [WorkerState.STARTING, WorkerState.WORKING, WorkerState.WAITING, WorkerState.IDLE]


@pytest.mark.parametrize("state", list(WorkerState))
def test_only_a_running_worker_can_be_paused(state: WorkerState) -> None:
    assert can_pause(state) == (state in RUNNING)
    assert can_transition(state, WorkerState.PAUSED) == (state in RUNNING)


def test_a_paused_worker_is_live_and_leaves_paused_only_by_a_resume_or_by_ending() -> None:
    assert is_live(WorkerState.PAUSED)
    for state in WorkerState:
        # a screen or hook seen meanwhile cannot move it; its exit, a kill or a loss can
        assert can_transition(WorkerState.PAUSED, state) == (state in FINAL_STATES)


@pytest.mark.parametrize(
    ("paused_from", "back_to"),
    [("working", "working"), ("idle", "idle"), ("waiting", "waiting"), ("starting", "starting"), (None, "working"),
     ("paused", "working"), ("exited", "working"), ("nonsense", "working")],
)  # fmt: skip
def test_a_resume_returns_to_the_state_it_was_paused_in(paused_from: str | None, back_to: str) -> None:
    assert resume_state(paused_from) == back_to


@pytest.mark.parametrize(
    ("given", "micro"), [("1.50", 1_500_000), (2, 2_000_000), (0.000001, 1), ("$3", 3_000_000), ("0.1", 100_000)]
)
def test_dollars_become_micro_dollars_exactly(given: object, micro: int) -> None:
    assert usd_to_micro(given) == micro


@pytest.mark.parametrize("bad", [0, -1, "0", "cheap", "nan", "inf", "-inf", True, None, [1], "0.0000001", ""])
def test_a_cost_budget_must_be_a_positive_amount(bad: object) -> None:
    with pytest.raises(ValueError, match="positive number|micro-dollar"):
        usd_to_micro(bad)


@pytest.mark.parametrize("bad", [0, -5, "1.5", "lots", True, 2.0, None, ""])
def test_a_token_budget_must_be_a_positive_whole_number(bad: object) -> None:
    with pytest.raises(ValueError, match="positive whole number"):
        positive_tokens(bad)


def test_a_budget_is_exceeded_at_its_limit_tokens_first() -> None:
    budget = Budget(max_tokens=1000, max_cost_micro_usd=50_000, on_budget="stop")
    assert budget.exceeded(999, 49_999) is None
    assert budget.exceeded(1000, 0) == ("tokens", 1000, 1000)
    assert budget.exceeded(10, 50_000) == ("cost", 50_000, 50_000)
    assert budget.exceeded(2000, 90_000) == ("tokens", 1000, 2000)
    assert not Budget().any and Budget.of_task({"max_tokens": 5}).on_budget == "pause"
    assert Budget.of_task({"max_cost_micro_usd": 7, "on_budget": "stop"}) == Budget(None, 7, "stop")
    assert describe("tokens", 1000, 1100) == "1100 tokens used of a 1000-token budget"
    assert describe("cost", 25_000, 30_000) == "$0.030000 spent of a $0.025000 budget"


def test_a_daily_budget_reads_dollars_and_refuses_nonsense() -> None:
    daily = DailyBudget.model_validate({"max_cost_usd": "5", "max_tokens": 100})
    assert (daily.max_cost_micro_usd, daily.max_tokens) == (5_000_000, 100)
    assert daily.exceeded(100, 0) == ("tokens", 100, 100)
    with pytest.raises(ValueError, match="positive"):
        DailyBudget.model_validate({"max_cost_usd": -2})
    with pytest.raises(ValueError, match="extra|not permitted"):
        DailyBudget.model_validate({"budget_usd": 2})
