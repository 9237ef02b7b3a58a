"""Theme files (YAML, in themes/ and the user's config) turned into Textual themes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.color import Color, ColorParseError
from textual.theme import BUILTIN_THEMES, Theme

from cockpit.errors import UsageError
from cockpit.service.ui_support import load_theme_specs

DEFAULT_THEME = "cockpit"
COLOR_KEYS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
ALLOWED_KEYS = {"name", "dark", "syntax", "variables", "origin", "luminosity_spread", "text_alpha", *COLOR_KEYS}


@dataclass(frozen=True)
class ThemeSet:
    themes: dict[str, Theme]
    syntax: dict[str, str]  # theme name -> pygments style for code in diffs
    problems: list[str]

    def names(self) -> list[str]:
        return sorted(self.themes)


def theme_from_spec(spec: Mapping[str, object]) -> tuple[Theme, str]:
    """A Textual Theme and its syntax style from one parsed file; UsageError says what is wrong.
    `spec` is the file's YAML as parsed, whatever the operator wrote (hence `object`): every key
    and value is checked here, so each problem names its file and key."""
    origin = spec.get("origin", "theme")
    unknown = sorted(set(spec) - ALLOWED_KEYS)
    if unknown:
        raise UsageError(
            f"theme {origin}: unknown key(s) {', '.join(unknown)}",
            hint=f"allowed: {', '.join(sorted(ALLOWED_KEYS - {'origin'}))}",
        )
    name = str(spec.get("name") or "").strip()
    if not name:
        raise UsageError(f"theme {origin}: no name")
    if spec.get("primary") is None:
        raise UsageError(f"theme {origin}: `primary` is required")
    colors: dict[str, str] = {}
    for key in COLOR_KEYS:
        if spec.get(key) is None:
            continue
        value = str(spec[key])
        try:
            Color.parse(value)
        except ColorParseError:
            raise UsageError(f"theme {origin}: {key}: {value!r} is not a colour") from None
        colors[key] = value
    variables = spec.get("variables") or {}
    if not isinstance(variables, dict):
        raise UsageError(f"theme {origin}: `variables` must be a mapping")
    theme = Theme(
        name=name,
        dark=bool(spec.get("dark", True)),
        variables={str(k): str(v) for k, v in variables.items()},
        primary=colors["primary"],
        secondary=colors.get("secondary"),
        warning=colors.get("warning"),
        error=colors.get("error"),
        success=colors.get("success"),
        accent=colors.get("accent"),
        foreground=colors.get("foreground"),
        background=colors.get("background"),
        surface=colors.get("surface"),
        panel=colors.get("panel"),
        boost=colors.get("boost"),
    )
    default_syntax = "monokai" if theme.dark else "friendly"
    return theme, str(spec.get("syntax") or default_syntax)


def load_themes() -> ThemeSet:
    specs, problems = load_theme_specs()
    themes: dict[str, Theme] = {}
    syntax: dict[str, str] = {}
    for spec in specs:
        try:
            theme, style = theme_from_spec(spec)
        except UsageError as exc:
            problems.append(str(exc))
            continue
        themes[theme.name] = theme
        syntax[theme.name] = style
    return ThemeSet(themes, syntax, problems)


def check_theme_name(name: str, themes: ThemeSet) -> str:
    if name in themes.themes or name in BUILTIN_THEMES:
        return name
    raise UsageError(f"unknown theme {name!r}", hint=f"themes: {', '.join(themes.names())}")
