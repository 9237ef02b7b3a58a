"""What the UI promises beyond its looks: docs that match the code, no I/O of its own, every
key in the command palette, and the footer showing only what applies."""

from __future__ import annotations

import ast
import logging
import re
import sys
from pathlib import Path

import pytest
from textual.content import Content

from cockpit.protocol.views import DispatchView
from cockpit.ui.app import CockpitApp
from cockpit.ui.board import Board
from cockpit.ui.commands import CockpitCommands
from cockpit.ui.keys import MAIN_KEYS, markdown_table

from .helpers import screen_text, select_worker, wait_for
from .sample_data import sample_source, view

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "cockpit" / "ui"
pytestmark = pytest.mark.anyio


def test_the_docs_keys_table_is_the_code_table() -> None:
    doc = (ROOT / "docs" / "tui.md").read_text()
    found = re.search(r"<!-- keys-table -->\n(.*?)<!-- /keys-table -->", doc, re.S)
    assert found is not None and found.group(1) == markdown_table()


def test_the_readme_keys_table_is_the_code_table() -> None:
    assert markdown_table() in (ROOT / "README.md").read_text()


def test_the_readme_picture_is_the_accepted_snapshot() -> None:
    snapshot = ROOT / "tests/ui/__snapshots__/test_snapshots/test_several_workers_in_different_states.svg"
    assert (ROOT / "docs/screenshots/main.svg").read_text() == snapshot.read_text()


@pytest.mark.parametrize("path", sorted(UI.rglob("*.py")), ids=lambda p: str(p.relative_to(UI)))
def test_the_ui_reads_no_files_and_runs_nothing(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            assert name not in {
                "open",
                "read_text",
                "read_bytes",
                "write_text",
                "write_bytes",
                "system",
                "popen",
                "Popen",
                "pread",
                "listdir",
                "iterdir",
            }, f"{path.name} calls {name}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            assert not {"os", "subprocess", "shutil", "pty"} & {n.split(".")[0] for n in names}, path.name


def test_board_alerts_on_waiting_gates_and_promotion() -> None:
    board = Board()
    first = view("aaaaaaaaaa", "t", "working", review="none")

    def changed(**fields: object) -> DispatchView:
        return DispatchView.model_validate({**first, **fields})

    assert board.load([changed()]) == []
    assert [a.title for a in board.apply(changed(state="waiting"))] == ["Worker waiting"]
    assert board.apply(changed(state="waiting")) == []  # no repeat while it keeps waiting
    board.apply(changed(state="exited", review="gating"))
    assert [a.title for a in board.apply(changed(state="exited", review="awaiting_approval"))] == ["Promotion ready"]
    board.apply(changed(review="gating"))
    assert [a.severity for a in board.apply(changed(review="changes_requested"))] == ["warning"]
    assert board.apply(changed(teardown="clean")) == [] and board.views == {}


async def test_every_key_is_in_the_command_palette() -> None:
    app = CockpitApp(sample_source(), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_worker(pilot, "1qf9a2b3d5")  # a waiting worker: every key applies
        hits = [hit async for hit in CockpitCommands(app.main).discover()]
        titles = [hit.text or "" for hit in hits]
        for key in MAIN_KEYS:
            if key.action != "quit":
                assert any(f"[{key.display}]" in t for t in titles), key.display
        assert all(isinstance(hit.display, Content) for hit in hits)  # never parsed as markup
        assert "Theme" in [c.title for c in app.get_system_commands(app.main)]
        # A palette entry runs its action: "Receipts" opens the full view.
        found = [hit async for hit in CockpitCommands(app.main).search("receipts")]
        await found[0].command()
        await wait_for(pilot, lambda: "in the ledger" in screen_text(app))


async def test_logging_inside_the_app_works() -> None:
    """Textual routes the app's stderr through App._flush; cockpit once overrode it."""
    app = CockpitApp(sample_source(), theme="cockpit", remember_theme=False)
    errors: list[logging.LogRecord] = []
    handler = logging.StreamHandler(sys.stderr)
    handler.handleError = errors.append  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        handler.setStream(sys.stderr)  # the app's stderr, as a handler made at run time would have
        logger = logging.getLogger("cockpit.ui.test")
        logger.addHandler(handler)
        try:
            logger.error("something went wrong")
        finally:
            logger.removeHandler(handler)
    assert errors == []


async def test_the_footer_shows_only_the_keys_that_apply() -> None:
    source = sample_source()
    merged = next(v for v in source.views if v.id == "1qf9a2b3e6")
    merged.review = "promoted"
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(200, 30)) as pilot:

        def footer() -> str:
            return screen_text(app).splitlines()[-1]

        await select_worker(pilot, "1qf9a2b3d5")  # waiting
        await wait_for(pilot, lambda: "shift+y no" in footer())
        assert all(f"{k} " in footer() for k in ("a approve", "g gates", "x reject"))
        await select_worker(pilot, "1qf9a2b3h9")  # killed: nothing to answer or attach
        await wait_for(pilot, lambda: "shift+y" not in footer())
        assert "attach" not in footer() and "kill" not in footer() and "teardown" in footer()
        await select_worker(pilot, "1qf9a2b3e6")  # merged: nothing left to approve, gate or reject
        await wait_for(pilot, lambda: "approve" not in footer())
        assert "gates" not in footer() and "reject" not in footer() and "teardown" in footer()
        offered = [hit.text or "" async for hit in CockpitCommands(app.main).discover()]
        assert offered and not any(t.startswith(("Approve", "Run the review gates", "Reject")) for t in offered)
        await pilot.press("a")  # the key does nothing either
        await pilot.pause(0.2)
        assert app.screen is app.main


async def test_filter_narrows_the_list() -> None:
    app = CockpitApp(sample_source(), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        await pilot.press("slash", "c", "a", "c", "h", "e", "enter")
        await wait_for(pilot, lambda: "filter: cache" in screen_text(app))
        table = app.main.query_one("#workers")
        assert table._order == ["1qf9a2b3f7"] and "Refactor the cache layer" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(table._order) == 6)


def test_ci_runs_the_real_terminal_suite() -> None:
    """CI runs the README's test command; it must not deselect the real-terminal tests."""
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"<!-- test-command -->\n```\n(.*?)\n```", readme, re.S)
    assert command is not None and "pytest" in command.group(1)
    pytest_args = command.group(1).split("pytest", 1)[1]
    assert " -m " not in pytest_args and "-k" not in pytest_args and "--ignore" not in pytest_args, pytest_args
    # Lint and types run first, so a finding fails CI before the tests start.
    before = command.group(1).split("-m pytest", 1)[0]
    for step in ("ruff check cockpit tests benchmarks", "ruff format --check cockpit tests benchmarks", "bin/mypy"):
        assert step in before, f"the test command does not run `{step}` before pytest"
    marked = [p.name for p in (ROOT / "tests" / "ui").glob("test_terminal_*.py") if "pytest.mark.terminal" in p.read_text()]
    assert len(marked) >= 5, marked
