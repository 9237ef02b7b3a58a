"""The dispatch form's skill picker: the skills the supervisor lists, the chosen one sent in the task."""

from __future__ import annotations

import pytest

from cockpit.protocol.replies import SkillInfo
from cockpit.ui.app import CockpitApp

from .helpers import screen_text, wait_for, wait_for_text
from .sample_data import sample_source

pytestmark = pytest.mark.anyio

SKILLS = [
    {"name": "maintainer", "description": "You are a careful maintainer.", "problem": None, "files": 3, "version": "ab" * 32},
    {"name": "broken", "description": "", "problem": "SKILL.md is empty", "files": 0, "version": None},
]


def dispatches(source) -> list[dict]:  # type: ignore[no-untyped-def]
    return [args for name, args in source.calls if name == "dispatch"]


async def test_a_skill_is_picked_in_the_form_and_sent_with_the_dispatch() -> None:
    source = sample_source()
    source.skills = [SkillInfo.model_validate(s) for s in SKILLS]
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await wait_for_text(pilot, "New dispatch")
        await pilot.press("h", "i", "tab")  # the prompt, then the skill picker
        assert app.focused is not None and app.focused.id == "skill"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query_one("#skill").expanded)
        assert "maintainer" in screen_text(app)
        assert "broken" not in screen_text(app)  # a skill that cannot be used is not offered
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.screen.query_one("#skill").value == "maintainer")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(dispatches(source)) == 1)
        sent = dispatches(source)[0]
        assert sent["prompt"] == "hi" and sent["task"] == {"skill": "maintainer"}


async def test_without_skills_the_picker_says_none_and_is_skipped() -> None:
    source = sample_source()
    app = CockpitApp(source, theme="cockpit", remember_theme=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await wait_for_text(pilot, "no skills")
        await pilot.press("h", "i", "tab")
        assert app.focused is not None and app.focused.id == "provider"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(dispatches(source)) == 1)
        assert "skill" not in dispatches(source)[0]["task"]
