"""Theme colours for Rich text (table cells, diff lines), resolved against the current theme."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.color import Color, ColorParseError


def color(app: App, name: str) -> str:
    """The theme variable `name` as an opaque hex colour (blended onto the background)."""
    variables = app.theme_variables
    raw = variables.get(name) or variables.get("foreground") or "#cccccc"
    try:
        value = Color.parse(raw)
        if value.a < 1:
            value = Color.parse(variables.get("background", "#000000")) + value
    except ColorParseError:
        return "default"
    return value.hex6


def tint(app: App, name: str, amount: float) -> str:
    """The theme colour `name` mixed into the background: a quiet backdrop for a line."""
    variables = app.theme_variables
    try:
        base = Color.parse(variables.get("background", "#000000"))
        top = Color.parse(color(app, name))
    except ColorParseError:
        return "default"
    return base.blend(top, amount).hex6


def styled(app: App, text: str, name: str, *, bold: bool = False, reverse: bool = False) -> Text:
    """Plain text (never markup: titles come from prompts) in a theme colour."""
    return Text(text, style=Style(color=color(app, name), bold=bold, reverse=reverse), no_wrap=True, overflow="ellipsis", end="")
