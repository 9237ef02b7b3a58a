"""Themes are files: the shipped ones load, a light one exists, the choice is remembered, and a
broken user theme is reported instead of breaking the app."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from textual.color import Color

from cockpit.errors import UsageError
from cockpit.runtime.yaml_lines import display_path
from cockpit.service.settings import UiPreferences
from cockpit.service.ui_support import load_ui_settings, save_ui_settings, settings_path
from cockpit.ui.app import CockpitApp
from cockpit.ui.themes import DEFAULT_THEME, check_theme_name, load_themes, theme_from_spec

from .sample_data import sample_source

pytestmark = pytest.mark.anyio


def contrast(a: str, b: str) -> float:
    def luminance(hex_colour: str) -> float:
        r, g, b = (c / 255 for c in Color.parse(hex_colour).rgb)
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_shipped_themes_load_and_are_readable() -> None:
    themes = load_themes()
    assert themes.problems == []
    assert DEFAULT_THEME in themes.themes
    assert len(themes.themes) >= 4
    assert any(not t.dark for t in themes.themes.values()), "ship at least one light theme"
    for theme in themes.themes.values():
        # Text on the background must be readable (WCAG AA for normal text is 4.5).
        assert contrast(theme.foreground, theme.background) >= 7, theme.name
        for state in (theme.warning, theme.error, theme.success, theme.primary):
            assert contrast(state, theme.background) >= 3, (theme.name, state)


def test_theme_files_are_checked() -> None:
    with pytest.raises(UsageError, match="primary"):
        theme_from_spec({"name": "x", "origin": "x.yaml"})
    with pytest.raises(UsageError, match="not a colour"):
        theme_from_spec({"name": "x", "primary": "blurple", "origin": "x.yaml"})
    with pytest.raises(UsageError, match="unknown key"):
        theme_from_spec({"name": "x", "primary": "#fff", "colour": "#000", "origin": "x.yaml"})
    with pytest.raises(UsageError, match="unknown theme 'nope'"):
        check_theme_name("nope", load_themes())


def test_a_user_theme_is_loaded_and_a_broken_one_reported() -> None:
    user_dir = settings_path().parent / "themes"
    user_dir.mkdir(parents=True)
    (user_dir / "mine.yaml").write_text("name: mine\nprimary: '#ff00aa'\nbackground: '#000000'\n")
    (user_dir / "broken.yaml").write_text("name: [unclosed\n")
    themes = load_themes()
    assert "mine" in themes.themes
    assert any("broken.yaml" in p for p in themes.problems)


def test_settings_survive_garbage_and_merge(tmp_path: Path) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("not json")
    prefs, problem = load_ui_settings()
    assert prefs == UiPreferences() and problem is not None
    assert problem.startswith(f"{display_path(path)}:1: the UI preferences must be a mapping")  # the one format, never fatal
    save_ui_settings(theme="dusk")
    assert json.loads(path.read_text()) == {"theme": "dusk"}
    path.write_text('{"theme": "dusk", "from_a_newer_cockpit": 1}')  # unknown keys are ignored, not an error
    assert load_ui_settings() == (UiPreferences(theme="dusk"), None)
    path.write_text('{"theme": ["dusk"]}')
    prefs, problem = load_ui_settings()
    assert (
        prefs.theme is None
        and problem is not None
        and f"{display_path(path)}:1: theme: Input should be a valid string" in problem
    )
    assert str(path).startswith(os.environ["XDG_CONFIG_HOME"])


async def test_the_theme_choice_is_remembered() -> None:
    app = CockpitApp(sample_source(), theme="paper")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "paper"
        app.theme = "dusk"  # what picking it in the command palette does
        await pilot.pause()
    assert load_ui_settings()[0].theme == "dusk"
    again = CockpitApp(sample_source())
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert again.theme == "dusk"
