"""docs/receipts.md must stay true: its example hashes recompute, its verifier works."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

from cockpit.ledger import Ledger, verify

DOC = Path(__file__).resolve().parents[2] / "docs" / "receipts.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_worked_example_recomputes_from_the_documented_rule(tmp_path: Path) -> None:
    lines = blocks("ndjson")[0].encode("utf-8").splitlines()
    prev = "0" * 64
    for seq, line in enumerate(lines, 1):
        record = json.loads(line)
        claimed = record.pop("hash")
        body = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert line == body[:-1] + b',"hash":"' + claimed.encode() + b'"}'  # the documented line layout
        assert hashlib.sha256(prev.encode() + body).hexdigest() == claimed
        assert record["prev"] == prev and record["seq"] == seq
        prev = claimed
    text = DOC.read_text(encoding="utf-8")
    assert "SHA-256 = " + json.loads(lines[1])["hash"] in text
    # the example is also a ledger cockpit's own verifier accepts, head included
    (tmp_path / "ledger.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    head = re.findall(r'\{"format":"cockpit-ledger-head/1","hash":"[0-9a-f]{64}".*?\}', text)[-1]
    assert json.loads(head)["size"] == len(b"\n".join(lines) + b"\n")
    (tmp_path / "ledger.head").write_bytes(head.encode().ljust(255) + b"\n")
    assert verify(tmp_path).ok


def test_documented_verifier_agrees_with_cockpit(tmp_path: Path) -> None:
    script = tmp_path / "verifier.py"
    script.write_text(blocks("python")[0])
    ledger = Ledger(tmp_path / "l")
    for i in range(50):
        ledger.append("note", actor="a", dispatch=None if i % 2 else "d1",
                      data={"i": i, "s": "tab\t nl\n ctl\x01 quote\" é 日本 🙂"})
    path = tmp_path / "l" / "ledger.ndjson"
    run = lambda: subprocess.run([sys.executable, str(script), str(path)],  # noqa: E731
                                 capture_output=True, text=True).stdout
    assert run().startswith("valid: 51 records")
    assert verify(tmp_path / "l").ok
    raw = path.read_bytes().replace(b'"i":7,', b'"i":8,', 1)
    path.write_bytes(raw)
    assert "hash mismatch" in run()
    assert verify(tmp_path / "l").problem.reason == "hash mismatch"
