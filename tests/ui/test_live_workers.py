"""The real app, driven with Pilot, against a real supervisor and fake-agent workers in tmux."""

from __future__ import annotations

import pytest

from cockpit.protocol.requests import Send
from cockpit.service.client import SupervisorClient
from cockpit.service.workspace import Workspace
from cockpit.ui.app import CockpitApp
from cockpit.ui.source import LiveSource

from .helpers import screen_text, wait_for, wait_for_text

pytestmark = [pytest.mark.tmux, pytest.mark.anyio]


def state_of(app: CockpitApp, dispatch_id: str) -> str | None:
    view = app.board.get(dispatch_id)
    return view.state if view else None


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press({" ": "space", "@": "at", "?": "question_mark", "\n": "enter"}.get(char, char))


async def test_dispatch_from_the_form_then_answer_a_waiting_worker(workspace: Workspace) -> None:
    app = CockpitApp(LiveSource(workspace), remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.connected, what="the supervisor connection")
        await pilot.press("n")
        await wait_for_text(pilot, "New dispatch")
        await type_text(pilot, "Fix the parser\n@fake lines 6 4\n@fake ask Proceed?\n@fake say all done")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(app.board.views) == 1, what="the new dispatch on the board")
        dispatch_id = next(iter(app.board.views))
        await wait_for(pilot, lambda: state_of(app, dispatch_id) == "working", what="the worker to work")
        await wait_for(pilot, lambda: state_of(app, dispatch_id) == "waiting", what="the worker to wait")
        await wait_for_text(pilot, "? WAITING")
        assert "Fix the parser" in screen_text(app)
        # The pane shows the worker's own terminal, question included.
        await wait_for_text(pilot, "Proceed? [y/n]")
        assert "line 6 of 6" in screen_text(app)
        # The footer offers only what applies: y answers now, since the worker waits.
        assert "yes" in screen_text(app)
        await pilot.press("y")
        # y says what it sent (checked at once: a notification leaves the screen after a while)
        await wait_for(
            pilot,
            lambda: any("answered yes" in str(n.message) and "(keys: y)" in str(n.message) for n in app._notifications),
            what="the answer's notification",
        )
        await wait_for(pilot, lambda: state_of(app, dispatch_id) == "exited", what="the worker to finish")
        receipts = [r for r in app.receipts.items if r.dispatch == dispatch_id]
        # y sent the catalog's keys for the prompt on screen ("[y/n]": one y) and said so
        assert [(r.data["answer"], r.data["keys"]) for r in receipts if r.kind == "answered"] == [("yes", ["y"])]
        assert app.board.get(dispatch_id).exit_code == 0
    # Quitting the TUI stopped nothing: the supervisor still answers and knows the worker.
    views = SupervisorClient(workspace, autostart=False).call("status")
    assert [v["id"] for v in views] == [dispatch_id]


async def test_two_cockpits_show_the_same_live_state(workspace: Workspace) -> None:
    first = CockpitApp(LiveSource(workspace), remember_theme=False)
    second = CockpitApp(LiveSource(workspace), remember_theme=False)
    async with first.run_test(size=(100, 30)) as one, second.run_test(size=(80, 24)) as two:
        await wait_for(one, lambda: first.connected)
        await wait_for(two, lambda: second.connected)
        view = await first.source.call("dispatch", prompt="@fake ask Ready?", actor="test")
        await wait_for(one, lambda: state_of(first, view["id"]) == "waiting")
        await wait_for(two, lambda: state_of(second, view["id"]) == "waiting")
        await two.press("Y")  # shift+y: no
        await wait_for(one, lambda: state_of(first, view["id"]) == "exited")
        assert first.board.get(view["id"]).exit_code == 3  # the fake agent's "answered n"


async def test_service_errors_are_notifications_not_crashes(workspace: Workspace) -> None:
    app = CockpitApp(LiveSource(workspace), remember_theme=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connected)
        result = await app.request(Send(id="nosuchid99", key="y", actor="test"))
        assert result is None
        await wait_for(
            pilot,
            lambda: any("no dispatch 'nosuchid99'" in n.message and n.severity == "error" for n in app._notifications),
            what="an error notification",
        )
        assert app.is_running
