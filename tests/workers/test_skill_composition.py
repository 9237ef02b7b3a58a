"""The pure half of skills (cockpit/domain/skills.py): the index lines, the version, the names."""

from __future__ import annotations

import pytest

from cockpit.domain.skills import Skill, check_skill_name, compose_prompt, first_line_of, skill_file


def test_the_index_says_what_each_file_starts_with() -> None:
    assert first_line_of(b"\n\n  # Title  \nmore") == "# Title"
    assert first_line_of(b"") == "(empty)"
    assert first_line_of(b"\x89PNG\x00\x00") == "(binary, 6 bytes)"
    assert first_line_of(b"caf\xe9") == "(not UTF-8 text, 4 bytes)"
    long = first_line_of(("x" * 300).encode())
    assert len(long) == 120 and long.endswith("…")


def test_the_version_changes_with_any_file_and_only_then() -> None:
    def make(method: str, files: dict[str, bytes]) -> Skill:
        import hashlib

        entries = tuple(skill_file(p, d) for p, d in sorted(files.items()))
        return Skill("s", "/repo/.cockpit/skills/s", method, hashlib.sha256(method.encode()).hexdigest(), entries)

    one = make("Do it well.\n", {"a.md": b"# A\n"})
    assert make("Do it well.\n", {"a.md": b"# A\n"}).version == one.version
    assert make("Do it better.\n", {"a.md": b"# A\n"}).version != one.version
    assert make("Do it well.\n", {"a.md": b"# A!\n"}).version != one.version
    assert make("Do it well.\n", {"b.md": b"# A\n"}).version != one.version  # a rename is a change
    assert one.receipt()["files"] == {"SKILL.md": one.method_sha256, "a.md": one.files[0].sha256}


def test_the_prompt_without_other_files_says_so() -> None:
    skill = Skill("solo", "/r/.cockpit/skills/solo", "Role.\n", "0" * 64, ())
    text = compose_prompt(skill, "Do the thing\n")
    assert (
        text
        == "# Skill: solo\n\n## Role and method\n\nRole.\n\n## Assignment\n\nDo the thing\n\n## Skill files\n\nThis skill has no other files.\n"
    )


@pytest.mark.parametrize("name", ["", "..", "a/b", "-x", ".hidden", "a" * 65, "ünï", "a..b"])
def test_names_that_are_not_plain_folder_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        check_skill_name(name)
