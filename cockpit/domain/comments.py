"""Review comments on a dispatch's diff: where they point, the hunk they belong to, whether
that hunk has changed since (then the comment is resolved), and the one message that sends
them back to the agent. Pure: the diff text comes in, nothing is read or written here."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

ANCHOR_RE = re.compile(r"^(?P<file>.+):(?P<start>\d+)(?:-(?P<end>\d+))?$")
HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
MAX_COMMENT_CHARS = 4000


@dataclass(frozen=True)
class Hunk:
    path: str
    header: str  # the @@ line
    new_start: int
    new_len: int
    body: tuple[str, ...]  # the lines after the header, each with its +/-/space sign

    @property
    def text(self) -> str:
        return "\n".join((self.header, *self.body))

    def new_lines(self) -> list[tuple[int, str]]:
        """(line number in the new file, the diff line) for every line the new file has."""
        out, number = [], self.new_start
        for line in self.body:
            if line[:1] in ("+", " "):
                out.append((number, line))
                number += 1
        return out

    def covers(self, start: int, end: int) -> bool:
        numbers = {n for n, _ in self.new_lines()}
        return all(n in numbers for n in range(start, end + 1))


@dataclass
class FileHunks:
    path: str
    hunks: list[Hunk] = field(default_factory=list)


def parse_anchor(anchor: str) -> tuple[str, int, int]:
    """FILE:LINE or FILE:LINE-LINE -> (file, first line, last line); ValueError when malformed."""
    found = ANCHOR_RE.match(anchor.strip())
    if found is None:
        raise ValueError(f"{anchor!r} is not FILE:LINE or FILE:LINE-LINE")
    start = int(found["start"])
    end = int(found["end"]) if found["end"] else start
    if start < 1 or end < start:
        raise ValueError(f"{anchor!r}: lines count from 1 and the range must not run backwards")
    return found["file"], start, end


def hunks_of(patch: str) -> dict[str, list[Hunk]]:
    """Every hunk of a unified diff (git's), by the path on its new side."""
    files: dict[str, list[Hunk]] = {}
    path: str | None = None
    header: str | None = None
    new_start = new_len = 0
    body: list[str] = []

    def close() -> None:
        if path is not None and header is not None:
            files.setdefault(path, []).append(Hunk(path, header, new_start, new_len, tuple(body)))

    for line in patch.splitlines():
        if line.startswith("diff --git "):
            close()
            header, body = None, []
            parts = line.split(" b/", 1)
            path = parts[1] if len(parts) == 2 else line[11:]
        elif (match := HUNK_RE.match(line)) is not None:
            close()
            header, body = line, []
            new_start, new_len = int(match[3]), int(match[4] or 1)
        elif header is not None and line[:1] in ("+", "-", " ", "\\") and not line.startswith(("+++ ", "--- ")):
            body.append(line)
    close()
    return files


def hunk_at(hunks: dict[str, list[Hunk]], path: str, start: int, end: int) -> Hunk | None:
    """The hunk that shows lines start..end of the new `path`, or None (outside the diff)."""
    for hunk in hunks.get(path, []):
        if hunk.covers(start, end):
            return hunk
    return None


# A review comment as the service and the CLI hold it: the `review_comment` receipt's fields
# (file, line_start, line_end, text, hunk, ...), as a dict, a TypedDict or a reply's JSON.
# Only those fields are read here, each as what the receipt wrote.
Comment = Mapping[str, object]


def is_resolved(comment: Comment, hunks: dict[str, list[Hunk]]) -> bool:
    """A comment is resolved once the hunk it was made on is no longer in the diff as it was
    (its lines changed, or the change was dropped). A hunk that only moved is the same hunk."""
    body = tuple(str(comment.get("hunk", "")).split("\n")[1:])
    return not any(h.body == body for h in hunks.get(str(comment.get("file", "")), []))


def lines_label(comment: Comment) -> str:
    start, end = comment["line_start"], comment["line_end"]
    return f"line {start}" if start == end else f"lines {start}-{end}"


def compose_message(comments: Sequence[Comment]) -> str:
    """One structured plain-text message: for each comment its file, lines, hunk and text."""
    count = len(comments)
    parts = [
        f"The reviewer left {count} comment{'s' if count != 1 else ''} on your change. "
        "Address each one in this worktree, then finish as before.",
    ]
    for n, c in enumerate(comments, 1):
        parts.append(
            f"\n## Comment {n} of {count}: {c['file']}, {lines_label(c)}\n"
            f"The hunk:\n```diff\n{c['hunk']}\n```\n"
            f"The comment:\n{c['text']}"
        )
    return "\n".join(parts) + "\n"


def check_text(text: str) -> str:
    """The comment's text, stripped; ValueError when empty, too long or holding NUL bytes."""
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("the comment is empty")
    if "\x00" in cleaned:
        raise ValueError("the comment contains a NUL byte")
    if len(cleaned) > MAX_COMMENT_CHARS:
        raise ValueError(f"the comment is {len(cleaned)} characters; at most {MAX_COMMENT_CHARS}")
    return cleaned
