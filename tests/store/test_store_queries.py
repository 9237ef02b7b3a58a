"""The service asks the store questions through its methods, never with SQL of its own."""

from __future__ import annotations

import ast
from pathlib import Path

from cockpit.ledger import Ledger
from cockpit.store import Recorder, Store

PACKAGE = Path(__file__).resolve().parents[2] / "cockpit"


def created(recorder: Recorder, dispatch_id: str) -> None:
    recorder.record(
        "dispatch_created",
        actor="supervisor",
        dispatch=dispatch_id,
        data={"title": "t", "provider": "fake", "mode": "headless", "base_ref": "HEAD", "branch": f"cockpit/{dispatch_id}"},
    )


def test_ids_starting_with_a_prefix(tmp_path: Path) -> None:
    recorder = Recorder(Ledger(tmp_path), Store(tmp_path / "state.db", tmp_path))
    for dispatch_id in ("1qf9a2b3c4", "1qf9a2b3d5", "1qf9zzzz00", "a_b%c"):
        created(recorder, dispatch_id)
    store = recorder.store
    assert store.ids_starting_with("1qf9zz") == ["1qf9zzzz00"]
    assert store.ids_starting_with("1qf9a2b3") == ["1qf9a2b3c4", "1qf9a2b3d5"]
    assert len(store.ids_starting_with("1qf9")) == 2  # at most two: enough to say "ambiguous"
    assert store.ids_starting_with("nope") == []
    assert store.ids_starting_with("a%") == [] and store.ids_starting_with("a_") == ["a_b%c"]  # wildcards are literal


def test_no_module_outside_the_store_touches_its_connection() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "conn" and "store" in ast.unparse(node.value):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {ast.unparse(node)}")
    assert found == [], "add a Store method instead:\n" + "\n".join(found)
