"""The TUI's `y` answers the real claude's permission prompt with the catalog's keys."""

from __future__ import annotations

import time

import pytest

from cockpit.modelservice.profiles import PROFILES
from cockpit.service.conformance import Run
from cockpit.service.workspace import Workspace
from cockpit.ui.app import CockpitApp
from cockpit.ui.source import LiveSource

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def until(pilot, predicate, what: str, run: Run, dispatch_id: str, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(0.1)
        if predicate():
            return
    receipts = [
        (r.kind, {k: v for k, v in r.data.items() if k in ("to", "source", "keys", "code")}) for r in run.receipts(dispatch_id)
    ]
    raise AssertionError(f"never saw {what}; receipts {receipts}; screen:\n{run.screen(dispatch_id)}")


async def test_the_tuis_y_answers_claude(cli_binaries, monkeypatch: pytest.MonkeyPatch) -> None:
    case = PROFILES["claude"].case("interactive", "happy")
    with Run("claude", "interactive", case, cli_binaries.path("claude")) as run:
        for name in ("COCKPIT_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            monkeypatch.setenv(name, run.env[name])
        monkeypatch.chdir(run.repo)
        out = run.cockpit("dispatch", case.prompt, "--provider", "claude", "--interactive", "--risk", "low")
        assert out.returncode == 0, out.stderr
        dispatch_id = out.stdout.strip()
        ws = Workspace.open(run.repo)
        try:
            app = CockpitApp(LiveSource(ws), remember_theme=False)
            async with app.run_test(size=(120, 36)) as pilot:
                state = lambda: getattr(app.board.get(dispatch_id), "state", None)  # noqa: E731
                await until(pilot, lambda: state() == "waiting", "claude waiting for its permission", run, dispatch_id)
                await pilot.press("y")
                await until(pilot, lambda: state() == "idle", "claude idle after the answer", run, dispatch_id)
        finally:
            ws.close()
        answered = [r for r in run.receipts(dispatch_id) if r.kind == "answered"]
        assert [(r.data["answer"], r.data["prompt"], r.data["keys"]) for r in answered] == [("yes", "permission", ["1"])]
        assert (run.state.worktree(dispatch_id) / case.edit_path).read_text() == case.edit_content
