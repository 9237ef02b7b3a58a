"""docs/gates.md must stay true: its examples load, and it names every receipt kind the gates write."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from gatekit import DOC, documented_fields

from cockpit.domain.task import TaskPacket
from cockpit.runtime.gate_config import load_gates

ROOT = Path(__file__).resolve().parents[2]


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_example_task_packet_is_valid() -> None:
    packet = TaskPacket(**yaml.safe_load(yaml_blocks()[0]))
    assert packet.risk == "high" and packet.acceptance == ["pytest -q tests/signup"]


def test_the_example_gate_file_loads(tmp_path: Path) -> None:
    (tmp_path / ".cockpit").mkdir()
    (tmp_path / ".cockpit" / "gates.yaml").write_text(yaml_blocks()[1])
    config = load_gates(tmp_path)
    assert sorted(config.named()) == ["conflicts", "lint", "llm", "scope", "unit"]
    assert config.named()["conflicts"].timeout == 60 and config.required["high"][-1] == "llm"


def test_every_receipt_kind_the_gates_write_is_documented_in_both_tables() -> None:
    sources = ["cockpit/service/gates.py", "cockpit/service/promotion_ops.py"]
    written = {
        kind for src in sources for kind in re.findall(r'record\(\s*"([a-z_]+)"', (ROOT / src).read_text(encoding="utf-8"))
    }
    written |= {"sent_back", "worker_resumed"}  # written by Workers.send_back for the gates
    assert written <= set(documented_fields()), written - set(documented_fields())
    receipts_doc = (ROOT / "docs" / "receipts.md").read_text(encoding="utf-8")
    for kind in written:
        assert f"| `{kind}` |" in receipts_doc, kind
