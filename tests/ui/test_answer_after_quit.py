"""An answer that arrives while the app quits is for nobody: the worker that asked ends
quietly instead of looking for widgets that are already gone (seen in CI: `fetch_review`
met a GatesPanel whose body had been removed, and the app raised on exit)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from textual.widget import Widget

from cockpit.ui.app import CockpitApp
from cockpit.ui.static_source import StaticSource

from .helpers import select_worker, wait_for
from .sample_data import sample_source

pytestmark = pytest.mark.anyio
WAITING = "1qf9a2b3d5"


@dataclass
class LateSource(StaticSource):
    """Holds one request of `late_op` until the widget `watch()` names (when the request is
    made) has been removed, then answers it: the window in which the CI run failed."""

    late_op: str = ""
    watch: Callable[[], Widget] | None = None
    asked: asyncio.Event = field(default_factory=asyncio.Event)
    answered_late: bool = False

    async def call(self, op: str, **args: Any) -> Any:
        if op == self.late_op and self.watch is not None:
            widget, self.watch = self.watch(), None
            self.asked.set()
            while widget.is_attached:
                await asyncio.sleep(0)
            self.answered_late = True
        return await super().call(op, **args)


def late_source() -> LateSource:
    base = sample_source()
    return LateSource(**{name: getattr(base, name) for name in base.__dataclass_fields__})


@pytest.mark.parametrize(("op", "widget_id"), [("review", "#gates-body"), ("screen", "#pane")])
async def test_an_answer_that_arrives_while_the_app_quits_is_dropped(op: str, widget_id: str) -> None:
    source = late_source()
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_worker(pilot, WAITING)
        await wait_for(pilot, lambda: any(name == op for name, _ in source.calls), what=f"the first {op}")
        main = app.main
        assert main is not None
        source.late_op, source.watch = op, lambda: main.query_one(widget_id)
        if op == "review":
            main.fetch_review()
        else:
            main.request_pane()
        await wait_for(pilot, source.asked.is_set, what=f"the held {op} request")
    # Leaving the block shut the app down (an error in the asking worker is raised there); the
    # held request was answered, after its widget had gone: the window was really met.
    assert source.answered_late


async def test_a_diff_that_arrives_after_its_screen_closed_is_dropped() -> None:
    source = late_source()
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_worker(pilot, WAITING)
        # the diff screen's title, as it asks on opening (its widgets go before its workers are cancelled)
        source.late_op, source.watch = "diff", lambda: app.screen.query_one("#diff-title")
        await pilot.press("d")
        await wait_for(pilot, source.asked.is_set, what="the held diff request")
        diff_screen = app.screen
        await pilot.press("escape")  # closed before its diff came
        await wait_for(pilot, lambda: source.answered_late, what="the diff answered after its screen closed")
        await wait_for(
            pilot,
            lambda: all(worker.is_finished for worker in app.workers if worker.node is diff_screen),
            what="the diff screen's worker to be done with the answer",
        )
        assert app.main is not None and app.screen is app.main
    # an error in the diff screen's worker is raised as the block is left
