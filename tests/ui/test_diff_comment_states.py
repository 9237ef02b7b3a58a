"""Each review comment's row says its state: open (not sent yet), sent (sent back, its hunk not
changed since), resolved (its hunk changed). On fixed data: with a live agent the "sent" state
can last less than one screen refresh."""

from __future__ import annotations

import pytest

from cockpit.protocol.replies import ListedComment
from cockpit.ui.app import CockpitApp

from .helpers import screen_text, select_worker, wait_for_text
from .sample_data import sample_source

pytestmark = pytest.mark.anyio
WAITING = "1qf9a2b3d5"


def comment(number: int, line: int, *, sent: bool, resolved: bool) -> ListedComment:
    return ListedComment(
        comment=f"c{number}",
        file="src/dates.py",
        line_start=line,
        line_end=line,
        text=f"comment number {number}",
        hunk="@@ -10,7 +10,9 @@",
        diff_sha256=None,
        actor="alice@laptop",
        ts="2026-11-28T10:00:00.000000Z",
        seq=40 + number,
        sent=sent,
        resolved=resolved,
        line_start_now=line,
        line_end_now=line,
    )


async def test_comment_states_are_labelled() -> None:
    source = sample_source()
    source.comments[WAITING] = [
        comment(1, 10, sent=False, resolved=False),
        comment(2, 12, sent=True, resolved=False),
        comment(3, 13, sent=True, resolved=True),
    ]
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_worker(pilot, WAITING)
        await pilot.press("d")
        await wait_for_text(pilot, "comment number 3")
        lines = screen_text(app).splitlines()
        heads = {number: next(line for line in lines if f"c{number} " in line and "alice@laptop" in line) for number in (1, 2, 3)}
        assert "c1 open" in heads[1] and "c2 sent" in heads[2] and "c3 resolved" in heads[3], heads
