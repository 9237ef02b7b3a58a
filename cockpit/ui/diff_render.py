"""A unified diff as highlighted lines: code coloured by its language, added and removed
lines on a tinted background, headers quiet. Pure Rich, no Textual."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text

log = logging.getLogger("cockpit.ui")


@dataclass
class FilePatch:
    path: str
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DiffColours:
    added_bg: str
    removed_bg: str
    added_fg: str
    removed_fg: str
    hunk: str
    muted: str
    syntax: str  # pygments style


def split_patch(patch: str) -> list[FilePatch]:
    """The patch cut at each `diff --git` header; the path is the b/ side."""
    files: list[FilePatch] = []
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            parts = line.split(" b/", 1)
            files.append(FilePatch(parts[1] if len(parts) == 2 else line[11:]))
        elif not files:
            files.append(FilePatch("(patch)"))
        files[-1].lines.append(line)
    return files


def _lexer_for(path: str, sample: str) -> str:
    try:
        return Syntax.guess_lexer(path, sample)
    except Exception:  # noqa: BLE001 pygments' content heuristics run on any file; plain text is fine
        log.debug("no lexer for %s", path, exc_info=True)
        return "text"


def _highlight(block: list[str], lexer: str, style: str) -> list[Text]:
    if not block:
        return []
    code = "\n".join(block)
    if lexer in ("text", "default"):
        return [Text(line) for line in block]
    syntax = Syntax(code, lexer, theme=style, background_color="default", word_wrap=False)
    lines = syntax.highlight(code).split("\n", allow_blank=True)
    return list(lines[: len(block)]) + [Text(line) for line in block[len(lines) :]]


def render_file(patch: FilePatch, colours: DiffColours) -> list[Text]:
    """One file's section of the patch, line by line."""
    sample = "\n".join(line[1:] for line in patch.lines[:200] if line[:1] in "+- ")
    lexer = _lexer_for(patch.path, sample)
    out: list[Text] = []
    pending: list[str] = []  # body lines of the current hunk, highlighted together for context

    def flush() -> None:
        bodies = [line[1:] for line in pending]
        for raw, text in zip(pending, _highlight(bodies, lexer, colours.syntax), strict=True):
            sign = raw[:1]
            line = Text(end="", no_wrap=True)
            if sign == "+":
                line.append("+", style=Style(color=colours.added_fg, bold=True))
                line.append_text(text)
                line.stylize(Style(bgcolor=colours.added_bg))
            elif sign == "-":
                line.append("-", style=Style(color=colours.removed_fg, bold=True))
                line.append_text(text)
                line.stylize(Style(bgcolor=colours.removed_bg))
            else:
                line.append(" ")
                line.append_text(text)
            out.append(line)
        pending.clear()

    for raw in patch.lines:
        if raw.startswith("@@"):
            flush()
            out.append(Text(raw, style=Style(color=colours.hunk, bold=True), no_wrap=True, end=""))
        elif raw[:1] in "+- " and raw and not raw.startswith(("+++ ", "--- ")):
            pending.append(raw)
        elif raw.startswith("\\"):
            flush()
            out.append(Text(raw, style=Style(color=colours.muted, italic=True), end=""))
        else:
            flush()
            style = Style(color=colours.muted, bold=raw.startswith("diff --git"))
            out.append(Text(raw, style=style, no_wrap=True, end=""))
    flush()
    return out
