"""The board tells the truth about what the operator can act on: the filter knows the words
the board shows (merged, stale, no changes), says when nothing matches, takes any text as
plain words; `g` shows the gates running; findings are coloured by what they block."""

from __future__ import annotations

import pytest
from rich.text import Text

from cockpit.protocol.replies import DiffSummary, ReviewGate, ReviewReply
from cockpit.ui.app import CockpitApp
from cockpit.ui.palette import color
from cockpit.ui.service_messages import GatesDone
from cockpit.ui.widgets.gates_panel import gates_text

from .helpers import screen_text, select_worker, wait_for, wait_for_text
from .sample_data import as_views, sample_source, view

pytestmark = pytest.mark.anyio
READY = "1qf9a2b3e6"


def board_source():  # type: ignore[no-untyped-def]
    source = sample_source()
    source.views = [
        *source.views,
        *as_views(
            [
                view("1qf9a2b3j1", "Rename the settings module", "exited", review="promoted", seq=40),
                view("1qf9a2b3k2", "Look around and change nothing", "exited", review="no_changes", seq=41),
                # the supervisor says `stale` once the worktree changed after gating (service/freshness.py)
                view("1qf9a2b3m3", "Tidy the logging calls", "exited", review="stale", seq=42),
            ]
        ),
    ]
    return source


async def type_filter(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash")
    for ch in text:
        await pilot.press(
            ch
            if ch.isalnum()
            else {
                " ": "space",
                "[": "left_square_bracket",
                "(": "left_parenthesis",
                "*": "asterisk",
                "-": "minus",
                "?": "question_mark",
                "\\": "backslash",
                "+": "plus",
            }[ch]
        )
    await pilot.press("enter")


@pytest.mark.parametrize(
    ("words", "expected"),
    [("merged", "Rename the settings"), ("no changes", "Look around"), ("stale", "Tidy the logging"), ("approve?", "Write docs")],
)
async def test_the_filter_knows_the_review_words_the_board_shows(words: str, expected: str) -> None:
    app = CockpitApp(board_source(), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_text(pilot, "Rename the settings")
        await type_filter(pilot, words)
        await wait_for(pilot, lambda: len(app.main.query_one("#workers")._order) == 1, what="one match")
        assert expected in screen_text(app)


async def test_the_board_says_stale_and_no_changes_instead_of_approve() -> None:
    app = CockpitApp(board_source(), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_text(pilot, "Tidy the logging")
        rows = screen_text(app).splitlines()
        assert "stale" in next(r for r in rows if "Tidy the logging" in r)
        assert "approve?" not in next(r for r in rows if "Tidy the logging" in r)
        assert "no changes" in next(r for r in rows if "Look around" in r)


@pytest.mark.parametrize("text", ["[a-(", "*", "\\d+ (", "zzz"])
async def test_a_filter_that_matches_nothing_says_so(text: str) -> None:
    app = CockpitApp(board_source(), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for_text(pilot, "Rename the settings")
        await type_filter(pilot, text)
        await wait_for_text(pilot, "no worker matches")
        assert app.main.query_one("#workers")._order == []
        await pilot.press("escape")
        await wait_for(pilot, lambda: "no worker matches" not in screen_text(app), what="the line to go")
        assert len(app.main.query_one("#workers")._order) == 9


async def test_g_shows_the_gates_running_in_the_gates_panel() -> None:
    app = CockpitApp(sample_source(), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_worker(pilot, READY)
        await wait_for_text(pilot, "212 passed in 9.1s")
        await pilot.press("g")
        await wait_for_text(pilot, "running now")
        panel = str(app.main.query_one("#gates-body").render())
        assert "running" in panel and "tests" in panel and "212 passed" not in panel
        app.post_message(GatesDone(READY, "awaiting_approval"))
        await wait_for(pilot, lambda: "running now" not in screen_text(app), what="the run to finish")


def colour_of(text: Text, word: str) -> str:
    start = text.plain.index(f"    {word}") + 4  # the finding's severity, not a summary
    return next(
        str(span.style.color.get_truecolor().hex)
        for span in text.spans  # type: ignore[union-attr]
        if span.start <= start < span.end and span.style.color is not None
    )


async def test_blocking_findings_are_errors_and_advisory_ones_warnings() -> None:
    app = CockpitApp(sample_source(), theme="cockpit", remember_theme=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        findings = [
            {"severity": "blocking", "file": "a.py", "line": 1, "message": "breaks"},
            {"severity": "advisory", "file": "b.py", "line": 2, "message": "could be nicer"},
        ]
        review = ReviewReply(
            id="x",
            gates=[ReviewGate(name="review", kind="review", status="failed", summary="1 blocking", findings=findings)],
            can_approve=False,
            diff=DiffSummary(),
            blockers=[],
            will="",
        )
        text = gates_text(app, as_views([view("x", "t", "exited")])[0], review)
        assert colour_of(text, "blocking") == color(app, "error").lower()
        assert colour_of(text, "advisory") == color(app, "warning").lower()
