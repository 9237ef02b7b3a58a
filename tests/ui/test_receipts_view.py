"""The receipts view reads like a log viewer: each line says what matters for its kind, the
highlighted receipt's whole record shows below, long lines scroll sideways, and one dispatch's
receipts can be reached and stepped through."""

from __future__ import annotations

import pytest

from cockpit.domain.receipt import GENESIS
from cockpit.ui.app import CockpitApp
from cockpit.ui.receipt_lines import gist

from .helpers import screen_text, select_worker, wait_for, wait_for_text
from .sample_data import sample_source, seal

pytestmark = pytest.mark.anyio


def receipt(kind: str, data: dict, actor: str = "supervisor"):  # type: ignore[no-untyped-def]
    return seal(seq=1, ts="2026-03-14T15:00:00.000000Z", kind=kind, actor=actor, dispatch="1qf9a2b3e6", data=data, prev=GENESIS)[
        0
    ]


def test_each_kind_leads_with_what_matters() -> None:
    assert gist(
        receipt("gate_result", {"base_commit": "abc", "gate": "tests", "status": "failed", "summary": "2 failed"})
    ).startswith("tests: failed — 2 failed")
    assert gist(receipt("status_changed", {"from": "working", "to": "waiting"})) == "working → waiting"
    approved = gist(
        receipt(
            "approved",
            {"identity": {"user": "ana", "host": "box", "ssh_client": "10.0.0.9 5 22"}, "diff_sha256": "f" * 64},
            actor="ana",
        )
    )
    assert approved.startswith("approved by ana@box over ssh from 10.0.0.9") and "diff_sha256=" in approved
    assert (
        gist(receipt("review_changed", {"to": "changes_requested", "blockers": ["tests failed", "x"]}))
        == "review → changes_requested: tests failed (+1 more)"
    )


async def test_the_ledger_has_a_cursor_a_record_pane_and_scrolls_sideways() -> None:
    app = CockpitApp(sample_source(), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for_text(pilot, "Write docs")
        await pilot.press("r")
        await wait_for_text(pilot, "record #40 (input_sent)")
        await pilot.press("up", "up", "up", "up")
        await wait_for_text(pilot, "record #36 (gate_result)")
        shown = screen_text(app)
        assert "tests: failed — 2 failed, 198 passed" in shown and '"status": "failed"' in shown
        assert "5eeec76032e4c8" not in shown  # the end of the long line is off to the right...
        await pilot.press(*["right"] * 12)
        await wait_for_text(pilot, "5eeec76032e4c8")  # ...until the operator scrolls sideways
        await pilot.press("left_square_bracket")  # the same dispatch's previous receipt
        await wait_for_text(pilot, "record #30 (gate_result)")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main, what="the main screen")


async def test_a_workers_receipts_are_one_key_away() -> None:
    source = sample_source()
    next(v for v in source.views if v.id == "1qf9a2b3e6").created_seq = 3  # its receipts: 3, 9, 15, ...
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_worker(pilot, "1qf9a2b3e6")
        await pilot.press("R")
        await wait_for_text(pilot, "record #3 (")
        assert '"dispatch": "1qf9a2b3e6"' in screen_text(app)
        await pilot.press("right_square_bracket")
        await wait_for_text(pilot, "record #9 (")
        assert '"dispatch": "1qf9a2b3e6"' in screen_text(app)
