"""The gate-kind registry is the only place that knows the kinds.

Every registered kind has rules (domain), a runner (service) and an entry in docs/gates.md;
no module compares a gate's kind with a kind's name (an if-chain the registry replaces);
and a kind added to the registry is accepted by the gate file and its group by `required:`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cockpit.domain.gate_kinds import KINDS, GateKindRules
from cockpit.domain.gates import GatesConfig, GateSpec, required_gates
from cockpit.domain.task import TaskPacket
from cockpit.errors import UsageError
from cockpit.runtime.gate_config import load_gates
from cockpit.service.gate_kinds import RUNNERS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "cockpit"
DOC = ROOT / "docs" / "gates.md"


def kinds_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split("## The kinds of gate", 1)[1].split("\n## ", 1)[0]


def test_every_kind_has_rules_and_a_runner() -> None:
    assert set(KINDS) == set(RUNNERS)
    assert {"command", "review", "scope", "conflicts"} <= set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_an_entry_in_the_gates_doc(kind: str) -> None:
    assert re.search(rf"^\*\*{re.escape(kind)}\*\*: ", kinds_section(), re.M), f"docs/gates.md has no **{kind}** entry"


def test_the_doc_lists_exactly_the_registered_kinds() -> None:
    documented = set(re.findall(r"^\*\*([a-z_-]+)\*\*: ", kinds_section(), re.M))
    assert documented == set(KINDS)
    fields_line = re.search(r"Fields of a gate: `kind` \(([^)]*)\)", DOC.read_text(encoding="utf-8"))
    assert fields_line is not None
    assert set(re.findall(r"`([a-z_-]+)`", fields_line.group(1))) == set(KINDS)


def _about_kind(node: ast.expr) -> bool:
    """`x.kind`, `kind`, `row["kind"]`, `row.get("kind")`: an expression holding a gate's kind."""
    if isinstance(node, ast.Attribute):
        return node.attr == "kind"
    if isinstance(node, ast.Name):
        return node.id == "kind"
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "kind"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return bool(node.args) and isinstance(node.args[0], ast.Constant) and node.args[0].value == "kind"
    return False


def _kind_names(node: ast.expr) -> set[str]:
    """The registered kind names a constant, or a tuple/list/set of constants, spells."""
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return {i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str) and i.value in KINDS}


def kind_comparisons(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_about_kind(s) for s in sides) and any(_kind_names(s) for s in sides):
                found.append(f"{filename}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Match) and _about_kind(node.subject):
            found.append(f"{filename}:{node.lineno}: match on a kind")
    return found


def test_the_check_finds_an_if_chain_on_kind_names() -> None:
    chain = 'if spec.kind == "command":\n    a()\nelif row["kind"] in ("review", "x"):\n    b()\n'
    assert len(kind_comparisons(chain, "example.py")) == 2
    assert kind_comparisons('if case.kind == "hang":\n    a()\n', "other.py") == []  # not a gate kind


def test_no_module_compares_a_kind_with_a_kind_name() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += kind_comparisons(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == [], "ask the gate-kind registry (cockpit/domain/gate_kinds.py) instead:\n" + "\n".join(found)


def test_a_registered_kind_is_configurable_and_its_group_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        KINDS, "probe", GateKindRules("probe", requires={"run": "a probe gate needs `run`"}, group="probes", group_needs_one=True)
    )
    (tmp_path / ".cockpit").mkdir()
    gate_file = tmp_path / ".cockpit" / "gates.yaml"
    gate_file.write_text("gates:\n  ping:\n    kind: probe\n    run: ping -c1 x\nrequired:\n  low: [scope, probes]\n")
    config = load_gates(tmp_path)
    required, missing = required_gates(TaskPacket(prompt="x", risk="low"), config)
    assert [s.name for s in required] == ["scope", "ping"] and missing == []
    gate_file.write_text("gates:\n  ping:\n    kind: probe\n")
    with pytest.raises(UsageError, match=r"gates.yaml:2: gates.ping: a probe gate needs `run`"):
        load_gates(tmp_path)
    # A required group with no gate of its kind blocks, when the kind says it must have one.
    _, missing = required_gates(TaskPacket(prompt="x", risk="low", gates=["probes"]), GatesConfig())
    assert missing == ["probes"]


def test_an_unregistered_kind_is_refused_with_the_registered_ones() -> None:
    with pytest.raises(ValueError, match="Input should be 'command', 'review', 'scope' or 'conflicts'"):
        GateSpec(name="x", kind="shell")
