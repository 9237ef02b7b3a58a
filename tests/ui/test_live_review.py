"""Approve, teardown and attach from the real app, against a real supervisor and fake agents."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cockpit.service.client import SupervisorClient
from cockpit.service.workspace import Workspace
from cockpit.ui.app import CockpitApp
from cockpit.ui.source import LiveSource, unknown_op

from .helpers import screen_text, wait_for, wait_for_text

pytestmark = [pytest.mark.tmux, pytest.mark.anyio]


def view_of(app: CockpitApp, dispatch_id: str) -> dict:
    view = app.board.get(dispatch_id)
    return view.model_dump() if view is not None else {}


async def start(app: CockpitApp, pilot, prompt: str, **task) -> str:
    await wait_for(pilot, lambda: app.connected, what="the supervisor connection")
    view = await app.source.call("dispatch", prompt=prompt, task=task, actor="test")
    await wait_for(pilot, lambda: view["id"] in app.board.views, what="the dispatch on the board")
    app.main.query_one("#workers").select(view["id"])
    await wait_for(pilot, lambda: app.main.selected == view["id"], what="the worker to be selected")
    return view["id"]


async def test_approve_is_refused_then_allowed_once_the_gates_pass(workspace: Workspace, repo: Path) -> None:
    app = CockpitApp(LiveSource(workspace), remember_theme=False)
    async with app.run_test(size=(120, 40)) as pilot:
        dispatch_id = await start(
            app,
            pilot,
            "Add hello\n@fake write hello.txt hi\n@fake commit add hello\n@fake ask Ship it?",
            risk="low",
            allowed_paths=["hello.txt"],
            acceptance=["test -f hello.txt"],
        )
        await wait_for(pilot, lambda: view_of(app, dispatch_id).get("state") == "waiting")
        await pilot.press("a")
        await wait_for_text(pilot, f"Cannot approve {dispatch_id} yet")
        assert "the worker is still waiting" in screen_text(app)
        await pilot.press("y")  # no approve key in a refusal: y does nothing here
        assert f"Cannot approve {dispatch_id} yet" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("y")  # answer the worker: it finishes, and the gates run on its diff
        await wait_for(
            pilot, lambda: view_of(app, dispatch_id).get("review") == "awaiting_approval", timeout=40, what="the gates to pass"
        )
        await pilot.press("a")
        await wait_for_text(pilot, f"Approve {dispatch_id}")
        text = screen_text(app)
        assert "passed" in text and "hello.txt" in text and "What will happen" in text
        await pilot.press("y")
        await wait_for(pilot, lambda: view_of(app, dispatch_id).get("review") == "promoted", timeout=30, what="the promotion")
    shown = subprocess.run(["git", "show", "main:hello.txt"], cwd=repo, capture_output=True, text=True)
    assert shown.stdout == "hi"


async def test_teardown_confirmation_shows_classification_and_archive(workspace: Workspace) -> None:
    app = CockpitApp(LiveSource(workspace), remember_theme=False)
    async with app.run_test(size=(100, 32)) as pilot:
        dispatch_id = await start(
            app, pilot, "Work\n@fake write notes.txt draft\n@fake commit wip\n@fake write scratch.txt unsaved"
        )
        await wait_for(pilot, lambda: view_of(app, dispatch_id).get("state") == "exited", timeout=30)
        await pilot.press("t")
        await wait_for_text(pilot, f"Tear down {dispatch_id}")
        text = screen_text(app)
        assert "dirty" in text and f"refs/cockpit/archive/{dispatch_id}" in text
        await pilot.press("escape")  # cancelled: nothing happened
        assert SupervisorClient(workspace, autostart=False).call("show", id=dispatch_id)["teardown"] is None
        await pilot.press("t")
        await wait_for_text(pilot, f"Tear down {dispatch_id}")
        await pilot.press("y")
        await wait_for(pilot, lambda: dispatch_id not in app.board.views, what="the torn-down worker to leave")
    shown = SupervisorClient(workspace, autostart=False).call("show", id=dispatch_id)
    assert shown["teardown"] == "dirty" and shown["archive_ref"]


async def test_attach_checks_the_session_and_hands_over_the_terminal(workspace: Workspace) -> None:
    calls: list[str] = []

    class RecordingSource(LiveSource):
        def attach(self, dispatch_id: str) -> int:  # the real attach needs a real terminal (see the e2e test)
            calls.append(dispatch_id)
            return 0

    app = CockpitApp(RecordingSource(workspace), remember_theme=False)
    async with app.run_test(size=(100, 30)) as pilot:
        dispatch_id = await start(app, pilot, "@fake ask Continue?")
        await wait_for(pilot, lambda: view_of(app, dispatch_id).get("state") == "waiting")
        await pilot.press("enter")
        # Headless Pilot has no terminal to hand over: the app says so instead of crashing.
        await wait_for(pilot, lambda: any("cockpit attach" in n.message for n in app._notifications))
        assert calls == []
        await pilot.press("k")
        await wait_for_text(pilot, f"Kill worker {dispatch_id}?")
        await pilot.press("y")
        await wait_for(pilot, lambda: view_of(app, dispatch_id).get("state") == "killed")
        await app.main.action_attach()  # no session any more: refused before the screen is touched
        await wait_for(pilot, lambda: any("no tmux session" in n.message for n in app._notifications))


def test_unknown_requests_are_recognised_by_their_code_not_their_words() -> None:
    from cockpit.errors import UsageError
    from cockpit.protocol.errors import ErrorCode

    assert unknown_op(UsageError("no such request", code=ErrorCode.UNKNOWN_OP))
    assert not unknown_op(UsageError("no dispatch 'x'", code=ErrorCode.NOT_FOUND))
    assert not unknown_op(UsageError("the supervisor does not know the request 'x'"))  # words alone: no
