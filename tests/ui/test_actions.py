"""Each key asks the supervisor for the right thing (on fixed data: the source records requests)."""

from __future__ import annotations

import pytest

from cockpit.ui.app import CockpitApp
from cockpit.ui.static_source import StaticSource

from .helpers import screen_text, select_worker, wait_for, wait_for_text
from .sample_data import sample_source, sample_views, view

pytestmark = pytest.mark.anyio
WAITING, READY = "1qf9a2b3d5", "1qf9a2b3e6"


async def started(source: StaticSource, pilot, select: str) -> None:  # type: ignore[no-untyped-def]
    await select_worker(pilot, select)


def requests(source: StaticSource, op: str) -> list[dict]:
    return [args for name, args in source.calls if name == op]


async def test_answers_send_gates_reject_and_kill() -> None:
    source = sample_source()
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(source, pilot, WAITING)
        await pilot.press("y")
        await pilot.press("Y")
        await wait_for(pilot, lambda: len(requests(source, "send")) == 2)
        assert [r["key"] for r in requests(source, "send")] == ["y", "n"]
        await pilot.press("s")
        await wait_for_text(pilot, "Send text to")
        await pilot.press("h", "i", "enter")
        await wait_for(pilot, lambda: len(requests(source, "send")) == 3)
        assert requests(source, "send")[-1]["text"] == "hi" and requests(source, "send")[-1]["enter"] is True
        await pilot.press("g")
        await wait_for(pilot, lambda: requests(source, "gates") == [{"id": WAITING}])
        await pilot.press("x")
        await wait_for_text(pilot, f"Reject {WAITING}")
        await pilot.press("enter")  # no reason yet: refused, the form stays
        assert requests(source, "reject") == [] and f"Reject {WAITING}" in screen_text(app)
        await pilot.press("n", "o", "p", "e", "tab", "space", "shift+tab", "enter")
        await wait_for(pilot, lambda: len(requests(source, "reject")) == 1)
        reject = requests(source, "reject")[0]
        assert reject["reason"] == "nope" and reject["send_back"] is True
        await pilot.press("k")
        await wait_for_text(pilot, f"Kill worker {WAITING}?")
        await pilot.press("escape")
        assert requests(source, "kill") == []
        await pilot.press("k", "y")
        await wait_for(pilot, lambda: len(requests(source, "kill")) == 1)


async def test_approve_asks_first_and_names_the_operator() -> None:
    source = sample_source()
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(source, pilot, READY)
        await pilot.press("a")
        await wait_for_text(pilot, "What will happen")
        assert requests(source, "approve") == []
        await pilot.press("y")
        await wait_for(pilot, lambda: len(requests(source, "approve")) == 1)
        assert requests(source, "approve")[0]["identity"]["user"] == "operator"


async def test_without_the_review_request_approve_degrades_to_a_notification() -> None:
    source = sample_source()
    source.reviews = {}  # an older supervisor: it does not know `review`
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(source, pilot, READY)
        await pilot.press("a")
        await wait_for(pilot, lambda: any("does not offer 'review'" in n.message for n in app._notifications))
        assert "review" in app.unsupported
        await wait_for_text(pilot, "212 passed")  # the gates panel falls back to the stored rows
        assert app.is_running


async def test_the_dispatch_form_sends_what_was_chosen() -> None:
    source = sample_source()
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await wait_for_text(pilot, "New dispatch")
        await pilot.press("ctrl+s")  # an empty prompt is refused
        assert requests(source, "dispatch") == []
        await pilot.press(
            "h",
            "i",
            "tab",
            "tab",
            "m",
            "a",
            "i",
            "n",
            "tab",
            "tab",
            "t",
            "e",
            "s",
            "t",
            "s",
            "comma",
            "space",
            "l",
            "i",
            "n",
            "t",
            "ctrl+s",
        )
        await wait_for(pilot, lambda: len(requests(source, "dispatch")) == 1)
        sent = requests(source, "dispatch")[0]
        assert sent["prompt"] == "hi" and sent["provider"] == "fake" and sent["base"] == "main"
        assert sent["task"] == {"gates": ["tests", "lint"]}


async def test_the_dispatch_form_starts_on_the_provider_the_supervisor_calls_default() -> None:
    source = sample_source()
    source.providers = [p.model_copy(update={"default": p.name == "claude"}) for p in source.providers]
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await wait_for_text(pilot, "New dispatch")
        await pilot.press("h", "i", "ctrl+s")
        await wait_for(pilot, lambda: len(requests(source, "dispatch")) == 1)
        assert requests(source, "dispatch")[0]["provider"] == "claude"


async def test_p_pauses_a_running_worker_and_resumes_a_paused_one() -> None:
    paused = view("1qf9a2b3p1", "A worker the operator paused", "paused", provider="fake", seq=40)
    paused["paused_ts"], paused["paused_from"] = paused["started_ts"], "working"
    source = sample_source([*sample_views(), paused])
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(source, pilot, WAITING)
        await pilot.press("p")
        await wait_for(pilot, lambda: requests(source, "pause") == [{"id": WAITING, "actor": "operator@static"}])
        await select_worker(pilot, "1qf9a2b3p1")
        assert "‖ paused" in screen_text(app)
        await pilot.press("p")
        await wait_for(pilot, lambda: requests(source, "resume") == [{"id": "1qf9a2b3p1", "actor": "operator@static"}])
        assert len(requests(source, "pause")) == 1
        await select_worker(pilot, "1qf9a2b3h9")  # a killed worker: p does not apply, nothing is asked
        await pilot.press("p")
        await pilot.pause(0.2)
        assert len(requests(source, "pause")) == 1 and len(requests(source, "resume")) == 1


async def test_shift_c_continues_the_selected_dispatch_with_a_new_prompt() -> None:
    source = sample_source()
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await started(source, pilot, READY)
        await pilot.press("C")
        await wait_for_text(pilot, f"Continue {READY}")
        await pilot.press("enter")  # nothing typed: refused, the dialog stays
        assert requests(source, "continue") == [] and f"Continue {READY}" in screen_text(app)
        await pilot.press("a", "n", "d", "space", "t", "e", "s", "t", "s", "enter")
        await wait_for(
            pilot, lambda: requests(source, "continue") == [{"id": READY, "prompt": "and tests", "actor": "operator@static"}]
        )
        await wait_for(pilot, lambda: any("round 2, a new run" in str(n.message) for n in app._notifications))


async def test_the_dispatch_form_takes_a_budget_and_refuses_a_bad_one_inline() -> None:
    source = sample_source()
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await wait_for_text(pilot, "New dispatch")
        await pilot.press("h", "i")
        app.screen.query_one("#budget").focus()
        await pilot.press("minus", "5", "ctrl+s")
        await wait_for_text(pilot, "Budget: the budget in tokens must be a positive whole number")
        assert requests(source, "dispatch") == [] and "New dispatch" in screen_text(app)
        await pilot.press("backspace", "backspace", "dollar_sign", "2", "full_stop", "5", "ctrl+s")
        await wait_for(pilot, lambda: len(requests(source, "dispatch")) == 1)
        assert requests(source, "dispatch")[0]["task"] == {"max_cost_usd": "2.5"}
