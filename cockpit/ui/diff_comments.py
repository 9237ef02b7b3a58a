"""Review comments in the diff view: which line of the new file each diff row shows, the
anchor (FILE:LINE-LINE) of a selection, and the rows that show comments beside their lines.
Pure Rich, no Textual."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from cockpit.protocol.replies import ListedComment
from cockpit.ui.diff_render import FilePatch

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True)
class RowRef:
    """What a row of the diff body shows: a line of `path`'s new version (`line`), or
    something else (a header, a removed line, a comment: `line` None)."""

    path: str
    line: int | None = None
    comment: str | None = None  # the comment id, on a comment's row


def row_refs(section: FilePatch) -> list[RowRef]:
    """One RowRef per patch line of the section, in render_file's order."""
    refs: list[RowRef] = []
    number: int | None = None
    for raw in section.lines:
        found = _HUNK.match(raw)
        if found is not None:
            number = int(found[1])
            refs.append(RowRef(section.path))
        elif number is not None and raw[:1] in ("+", " ") and raw and not raw.startswith("+++ "):
            refs.append(RowRef(section.path, number))
            number += 1
        else:
            refs.append(RowRef(section.path))
    return refs


def anchor_of(refs: list[RowRef], lo: int, hi: int) -> tuple[str, int, int] | str:
    """(path, first line, last line) of the selected rows lo..hi, or why there is none."""
    picked = [r for r in refs[lo : hi + 1] if r.line is not None]
    if not picked:
        return "select a line of the new version (an added or unchanged line) to comment on"
    paths = {r.path for r in picked}
    if len(paths) > 1:
        return "a comment covers lines of one file; the selection spans " + ", ".join(sorted(paths))
    lines = [r.line for r in picked if r.line is not None]
    return picked[0].path, min(lines), max(lines)


def anchor_text(path: str, start: int, end: int) -> str:
    return f"{path}:{start}" if start == end else f"{path}:{start}-{end}"


def comment_rows(comment: ListedComment, *, accent: str, muted: str) -> list[Text]:
    """A comment as rows to show under its last line: id, state, who, then its text."""
    resolved = comment.resolved
    state = "resolved" if resolved else "sent" if comment.sent else "open"
    colour = muted if resolved else accent
    head = Text(no_wrap=True, end="")
    head.append("   ▎ ", style=Style(color=colour, bold=True))
    head.append(f"{comment.comment} {state}", style=Style(color=colour, bold=True, strike=resolved))
    head.append(f"  {comment.actor}", style=Style(color=muted))
    rows = [head]
    for line in comment.text.splitlines() or [""]:
        row = Text(no_wrap=True, end="")
        row.append("   ▎   ", style=Style(color=colour))
        row.append(line, style=Style(color=muted if resolved else None, italic=True))
        rows.append(row)
    return rows


def place_comments(refs: list[RowRef], comments: list[ListedComment]) -> dict[int, list[ListedComment]]:
    """Row index -> the comments to show after that row: under the row of the comment's last
    line as the diff shows it now, else (its lines are gone) under its file's first row."""
    where: dict[int, list[ListedComment]] = {}
    rows = {(r.path, r.line): i for i, r in enumerate(refs) if r.line is not None}
    first: dict[str, int] = {}
    for i, r in enumerate(refs):
        first.setdefault(r.path, i)
    for c in comments:
        index = rows.get((c.file, c.line_end_now))
        if index is None:
            index = first.get(c.file)
        if index is not None:
            where.setdefault(index, []).append(c)
    return where
