"""The review loop from the TUI, as an operator does it: open the diff, move to a line, press
`c`, type the comment, submit; the comment shows under its line; `S` sends it back to the
agent; once its hunk changed it shows as resolved. A real supervisor and the fake agent."""

from __future__ import annotations

import pytest

from cockpit.service.workspace import Workspace
from cockpit.ui.app import CockpitApp
from cockpit.ui.keys import DIFF_KEYS, diff_markdown_table
from cockpit.ui.source import LiveSource

from .helpers import screen_text, wait_for, wait_for_text
from .test_live_review import start, view_of

pytestmark = [pytest.mark.tmux, pytest.mark.anyio]

PROMPT = "Notes\n@fake write notes.txt alpha\\nbeta\\ngamma\\n\n@fake commit notes"
FIX = "@fake write notes.txt alpha\\nBETA\\ngamma\\n"


async def test_comment_on_a_line_from_the_diff_view_and_send_it_back(workspace: Workspace) -> None:
    app = CockpitApp(LiveSource(workspace), remember_theme=False)
    async with app.run_test(size=(140, 40)) as pilot:
        dispatch_id = await start(app, pilot, PROMPT, risk="low")
        await wait_for(pilot, lambda: view_of(app, dispatch_id).get("review") == "awaiting_approval", timeout=40)
        await pilot.press("d")
        await wait_for_text(pilot, "+beta")
        await pilot.press("tab")  # into the diff body
        body = app.screen.query_one("#diff-body")
        assert body.has_focus
        while body.refs[body.cursor].line != 2:  # down to line 2 of notes.txt, key by key
            await pilot.press("down")
        await pilot.press("c")
        await wait_for_text(pilot, f"Comment on notes.txt:2 of {dispatch_id}")
        for ch in FIX:
            await pilot.press({" ": "space", "\\": "backslash", "@": "at"}.get(ch, ch))
        await pilot.press("enter")
        await wait_for_text(pilot, "c1 open")
        text = screen_text(app)
        lines = text.splitlines()
        beta = next(i for i, line in enumerate(lines) if "+beta" in line)
        assert "c1 open" in lines[beta + 1] and "@fake write notes.txt alpha" in lines[beta + 2]

        listed = await app.source.call("comments", id=dispatch_id)
        assert [(c["file"], c["line_start"], c["line_end"]) for c in listed["comments"]] == [("notes.txt", 2, 2)]
        assert listed["comments"][0]["text"] == FIX

        await pilot.press("S")
        # The key's answer: a notification, and the supervisor lists c1 as sent. The row's "sent"
        # label is not awaited here: the fake agent's next round can change the hunk before the
        # screen asks for the comments again, and the row then says "resolved" at once (seen
        # under load). test_comment_states_are_labelled shows each label on fixed data.
        await wait_for(
            pilot, lambda: any("c1 sent to" in str(n.message) for n in app._notifications), what="the sent notification"
        )
        listed = await app.source.call("comments", id=dispatch_id)
        assert [(c["comment"], c["sent"]) for c in listed["comments"]] == [("c1", True)]
        await wait_for(
            pilot,
            lambda: any(r.kind == "comments_sent" for r in workspace_receipts(workspace, dispatch_id)),
            what="the comments_sent receipt",
        )
        await wait_for(pilot, lambda: _after_round(workspace, dispatch_id), timeout=40, what="the gates after round 2")
        await pilot.press("escape")
        await pilot.press("d")  # the diff again: the comment's hunk changed, so it is resolved
        await wait_for_text(pilot, "c1 resolved", timeout=20)
        assert "+BETA" in screen_text(app)


async def test_a_range_needs_lines_of_one_file_and_c_says_so_on_a_header(workspace: Workspace) -> None:
    app = CockpitApp(LiveSource(workspace), remember_theme=False)
    async with app.run_test(size=(140, 40)) as pilot:
        dispatch_id = await start(app, pilot, PROMPT, risk="low")
        await wait_for(pilot, lambda: view_of(app, dispatch_id).get("review") == "awaiting_approval", timeout=40)
        await pilot.press("d")
        await wait_for_text(pilot, "+beta")
        await pilot.press("tab")
        body = app.screen.query_one("#diff-body")
        body.go_to(0)  # the `diff --git` header
        await pilot.press("c")
        await wait_for(
            pilot,
            lambda: any("select a line of the new version" in str(n.message) for n in app._notifications),
            what="the notification",
        )
        while body.refs[body.cursor].line != 1:
            await pilot.press("down")
        await pilot.press("shift+down", "shift+down")
        await pilot.press("c")
        await wait_for_text(pilot, f"Comment on notes.txt:1-3 of {dispatch_id}")
        await pilot.press("escape")  # cancelled: nothing is written
        assert (await app.source.call("comments", id=dispatch_id))["comments"] == []


def test_the_diff_keys_are_in_the_docs() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "tui.md").read_text()
    assert diff_markdown_table() in doc
    assert {k.display for k in DIFF_KEYS} >= {"c", "shift+s"}


def workspace_receipts(workspace: Workspace, dispatch_id: str) -> list:
    from cockpit.ledger import iter_receipts

    return [r for _, r in iter_receipts(workspace.state.ledger_dir) if r.dispatch == dispatch_id]


def _after_round(workspace: Workspace, dispatch_id: str) -> bool:
    receipts = workspace_receipts(workspace, dispatch_id)
    kinds = [r.kind for r in receipts]
    if "comments_sent" not in kinds:
        return False
    later = receipts[kinds.index("comments_sent") :]
    return any(r.kind == "review_changed" and r.data.get("to") == "awaiting_approval" for r in later)
