"""Skills: a folder of instructions composed into one plain-text prompt (pure, no I/O).

`.cockpit/skills/NAME/SKILL.md` holds the role and method; any other file of the folder
(references, scripts) is listed in the prompt's index by path and first line, for the
agent to read when it needs it. The prompt is the same bytes for every provider: no
provider-specific syntax, so what one CLI was given can be compared with what another was.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

SKILL_FILE = "SKILL.md"
SKILL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FIRST_LINE_CHARS = 120


def check_skill_name(name: str) -> str:
    """The name if it can name a skill folder; ValueError saying why not otherwise."""
    if not SKILL_NAME_RE.match(name) or ".." in name:
        raise ValueError(f"{name!r} is not a skill name (letters, digits, '.', '-' and '_'; a folder of .cockpit/skills)")
    return name


@dataclass(frozen=True)
class SkillFile:
    """One file of a skill besides SKILL.md: where it is, what it starts with, its hash."""

    path: str  # relative to the skill's folder, with '/'
    first_line: str
    sha256: str


@dataclass(frozen=True)
class Skill:
    name: str
    folder: str  # where the agent finds the files (the main checkout's .cockpit/skills/NAME)
    method: str  # SKILL.md, as written
    method_sha256: str
    files: tuple[SkillFile, ...]  # sorted by path

    @property
    def hashes(self) -> dict[str, str]:
        """Every file's sha256 by its path in the folder, SKILL.md included."""
        return {SKILL_FILE: self.method_sha256, **{f.path: f.sha256 for f in self.files}}

    @property
    def version(self) -> str:
        """One hash of all the files' hashes: two dispatches with the same version had the same skill."""
        lines = "".join(f"{path}\0{digest}\n" for path, digest in sorted(self.hashes.items()))
        return hashlib.sha256(lines.encode("utf-8")).hexdigest()

    def receipt(self) -> dict[str, object]:
        return {"name": self.name, "version": self.version, "files": self.hashes}


def first_line_of(data: bytes) -> str:
    """What an index shows for a file: its first non-blank line, or what kind of file it is."""
    if b"\x00" in data[:8192]:
        return f"(binary, {len(data)} bytes)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"(not UTF-8 text, {len(data)} bytes)"
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= FIRST_LINE_CHARS else line[: FIRST_LINE_CHARS - 1] + "…"
    return "(empty)"


def skill_file(path: str, data: bytes) -> SkillFile:
    return SkillFile(path, first_line_of(data), hashlib.sha256(data).hexdigest())


def compose_prompt(skill: Skill, assignment: str) -> str:
    """The prompt a dispatch with a skill gives its agent: role and method, assignment, file index."""
    parts = [
        f"# Skill: {skill.name}",
        "",
        "## Role and method",
        "",
        skill.method.strip("\n"),
        "",
        "## Assignment",
        "",
        assignment.strip("\n"),
        "",
        "## Skill files",
        "",
    ]
    if skill.files:
        parts.append(f"These files of the skill are in {skill.folder}/. Read one when you need it:")
        parts.append("")
        parts += [f"- {f.path}: {f.first_line}" for f in skill.files]
    else:
        parts.append("This skill has no other files.")
    return "\n".join(parts) + "\n"
