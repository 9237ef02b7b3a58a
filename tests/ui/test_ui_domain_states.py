"""The UI takes the worker states from the domain; it never spells a set of them itself."""

from __future__ import annotations

import ast
from pathlib import Path

from cockpit.domain.dispatch import LIVE_STATES, WorkerState
from cockpit.ui import board, format

UI = Path(__file__).resolve().parents[2] / "cockpit" / "ui"
STATE_NAMES = {str(s) for s in WorkerState}


def test_the_ui_live_states_are_the_domains() -> None:
    assert format.LIVE == board.LIVE == {str(s) for s in LIVE_STATES}


def test_no_ui_module_redeclares_a_group_of_states() -> None:
    found = []
    for path in sorted(UI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                names = {e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in STATE_NAMES}
                if len(names) >= 2:
                    found.append(f"{path.relative_to(UI)}:{node.lineno}: {ast.unparse(node)}")
    assert found == [], "import the states from cockpit.domain.dispatch:\n" + "\n".join(found)
