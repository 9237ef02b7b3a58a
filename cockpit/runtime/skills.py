"""Reading skills from `.cockpit/skills/` of the main checkout (see cockpit/domain/skills.py)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cockpit.domain.skills import SKILL_FILE, Skill, check_skill_name, first_line_of, skill_file
from cockpit.domain.task import MAX_PROMPT_BYTES
from cockpit.errors import UsageError

SKILLS_DIR = Path(".cockpit") / "skills"
MAX_FILES = 500
MAX_BYTES = 64 * 1024 * 1024  # all of a skill's files together: hashing them must stay quick


def skills_root(toplevel: Path) -> Path:
    return Path(toplevel) / SKILLS_DIR


def skill_names(toplevel: Path) -> list[str]:
    """The skills that exist: folders of .cockpit/skills holding a SKILL.md."""
    root = skills_root(toplevel)
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [e.name for e in entries if e.is_dir() and not e.name.startswith(".") and (Path(e.path) / SKILL_FILE).is_file()]


def unknown_skill(name: str, toplevel: Path) -> UsageError:
    names = skill_names(toplevel)
    where = SKILLS_DIR.as_posix()
    if names:
        return UsageError(f"unknown skill {name!r}: the skills in {where} are {', '.join(names)}")
    return UsageError(f"unknown skill {name!r}: there are no skills in {where} (a skill is a folder NAME/ with a {SKILL_FILE})")


def load_skill(toplevel: Path, name: str) -> Skill:
    """The skill NAME with every file's hash; UsageError naming the skills that exist otherwise."""
    try:
        check_skill_name(name)
    except ValueError:
        raise unknown_skill(name, toplevel) from None
    folder = skills_root(toplevel) / name
    method_path = folder / SKILL_FILE
    if name.startswith(".") or not folder.is_dir() or folder.is_symlink() or not method_path.is_file():
        raise unknown_skill(name, toplevel)
    where = f"{SKILLS_DIR.as_posix()}/{name}"
    raw = _read(method_path, where)
    try:
        method = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{where}/{SKILL_FILE} is not UTF-8 text") from None
    if not method.strip():
        raise UsageError(f"{where}/{SKILL_FILE} is empty: write the skill's role and method in it")
    if len(raw) > MAX_PROMPT_BYTES:
        raise UsageError(f"{where}/{SKILL_FILE} is {len(raw)} bytes; a prompt may be at most {MAX_PROMPT_BYTES}")
    files = []
    total = len(raw)
    for path in _files(folder):
        data = _read(path, where)
        total += len(data)
        if total > MAX_BYTES:
            raise UsageError(f"{where} holds more than {MAX_BYTES // (1024 * 1024)} MiB: keep big data out of a skill")
        files.append(skill_file(path.relative_to(folder).as_posix(), data))
    if len(files) > MAX_FILES:
        raise UsageError(f"{where} holds {len(files)} files; a skill may have at most {MAX_FILES}")
    return Skill(name, str(folder), method, hashlib.sha256(raw).hexdigest(), tuple(sorted(files, key=lambda f: f.path)))


def _files(folder: Path) -> list[Path]:
    """Every regular file under the folder but SKILL.md; hidden names and symlinks left out
    (a link could point anywhere, and what the index lists must be what was hashed)."""
    found = []
    for parent, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(parent, d)))
        for file_name in sorted(names):
            path = Path(parent) / file_name
            if file_name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            if path.parent == folder and file_name == SKILL_FILE:
                continue
            found.append(path)
    return found


def _read(path: Path, where: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {where}/{path.name}: {exc.strerror or exc}") from None


def skill_summaries(toplevel: Path) -> list[dict[str, object]]:
    """Each skill's name, first line of SKILL.md and files, for lists and pickers; a skill
    that cannot be read is listed with its problem instead of hiding the others."""
    out: list[dict[str, object]] = []
    for name in skill_names(toplevel):
        try:
            skill = load_skill(toplevel, name)
        except UsageError as exc:
            out.append({"name": name, "description": "", "problem": exc.message, "files": 0, "version": None})
            continue
        out.append(
            {
                "name": name,
                "description": first_line_of(skill.method.encode("utf-8")),
                "problem": None,
                "files": len(skill.files) + 1,
                "version": skill.version,
            }
        )
    return out
