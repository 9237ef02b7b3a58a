"""The TUI reads the protocol's models, not dicts (issue 12): at most two `dict[str, Any]`
remain in cockpit/ui, each saying why on its line (`# untyped: <reason>`)."""

from __future__ import annotations

import re
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "cockpit" / "ui"
UNTYPED = re.compile(r"dict\[str, Any\]")


def test_the_ui_keeps_at_most_two_untyped_dicts_each_with_its_reason() -> None:
    found = [
        (f"{path.relative_to(UI)}:{number}", line.strip())
        for path in sorted(UI.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if UNTYPED.search(line)
    ]
    assert len(found) <= 2, found
    assert all("# untyped: " in line for _where, line in found), found
