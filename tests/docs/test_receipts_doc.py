"""docs/receipts.md must stay true: its example recomputes, its own code (extracted from it) verifies
exactly as cockpit does on every tampering, and it names every receipt kind the code writes."""

from __future__ import annotations

import ast
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tamperkit import CASES, genuine_ledger

from cockpit.ledger import Anchor, Ledger, verify

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "receipts.md"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def doc_verifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The document's python blocks, in order, as one program: nothing of it is written here."""
    script = tmp_path_factory.mktemp("doc") / "verifier.py"
    script.write_text("\n\n".join(blocks("python")))
    return script


def run_doc(script: Path, state: Path, anchors: list[tuple[int, str]] = ()) -> str:
    args = [f"{seq}:{digest}" for seq, digest in anchors]
    out = subprocess.run([sys.executable, str(script), str(state), *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_worked_example_recomputes_with_the_documented_slice(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "**75 bytes**" in text and "line[:-76]" in text and "line[:-78]" not in text
    lines = [line + b"\n" for line in blocks("ndjson")[0].encode("utf-8").splitlines()]
    prev = "0" * 64
    for seq, line in enumerate(lines, 1):
        record = json.loads(line)
        claimed = record.pop("hash")
        canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert line[:-76] + b"}" == canonical  # the documented slice gives the body
        assert len(line) - len(canonical) == 76 - 1  # 75 bytes of suffix plus the newline, minus the "}"
        assert hashlib.sha256(prev.encode() + line[:-76] + b"}").hexdigest() == claimed
        assert record["prev"] == prev and record["seq"] == seq
        prev = claimed
    assert "SHA-256 = " + json.loads(lines[1])["hash"] in text
    (tmp_path / "ledger.ndjson").write_bytes(b"".join(lines))
    head = re.findall(r'\{"format":"cockpit-ledger-head/1","hash":"[0-9a-f]{64}".*?\}', text)[-1]
    assert json.loads(head)["size"] == len(b"".join(lines))
    (tmp_path / "ledger.head").write_bytes(head.encode().ljust(255) + b"\n")
    assert verify(tmp_path).ok


def test_documented_verifier_accepts_what_cockpit_writes(tmp_path: Path, doc_verifier: Path) -> None:
    ledger = Ledger(tmp_path / "l")
    for i in range(50):
        ledger.append(
            "note",
            actor='a"b\\c',
            dispatch=None if i % 2 else "d1",
            data={"i": i, "s": 'tab\t nl\n ctl\x01 quote" é 日本 🙂 },"dispatch":'},
        )
    report = verify(tmp_path / "l")
    assert report.ok
    assert run_doc(doc_verifier, tmp_path / "l") == f"valid: 51 records, last hash {report.last_hash}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_documented_verifier_and_cockpit_agree_on_every_tampering(tmp_path: Path, doc_verifier: Path, case: str) -> None:
    tamper, reason, line = CASES[case]
    seq, digest = genuine_ledger(tmp_path)  # the anchor: kept outside, beyond every tampered record
    assert run_doc(doc_verifier, tmp_path, [(seq, digest)]).startswith("valid: 40 records")
    tamper(tmp_path)
    report = verify(tmp_path, anchors=[Anchor("an anchor", seq, digest)])
    assert not report.ok
    assert (report.problem.reason, report.problem.line) == (reason, line), report.problem
    assert run_doc(doc_verifier, tmp_path, [(seq, digest)]) == f"line {line}: {reason}"


@pytest.mark.parametrize("case", ["full reforge with head rewrite", "genesis forged and rechained"])
def test_without_an_anchor_a_full_reforge_is_the_documented_keyless_limit(tmp_path: Path, doc_verifier: Path, case: str) -> None:
    genuine_ledger(tmp_path)
    CASES[case][0](tmp_path)
    assert verify(tmp_path).ok
    assert run_doc(doc_verifier, tmp_path).startswith("valid: 40 records")
    assert "detected only by an anchor" in DOC.read_text(encoding="utf-8")


# -- every kind the code writes is in the table, with the data members it passes by name -------------


def _appended_kinds() -> dict[str, set[str]]:
    """kind -> data members, from every receipt-append call in cockpit's code: `.record("k", ...)`,
    `Entry("k", ...)` and `.append("k", actor=...)`."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "cockpit").rglob("*.py")):
        if "modelservice" in path.parts:
            continue  # the scripted model service logs requests (its own `record`), never receipts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            keywords = {k.arg for k in node.keywords}
            if not (name in ("record", "Entry") or (name == "append" and "actor" in keywords)):
                continue
            if isinstance(first, ast.Name) and first.id in ("kind", "entry"):
                continue  # a forwarder (Ledger.append, Recorder.record, Context.record): its callers are scanned
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"{path}:{node.lineno}: a receipt kind that is not a literal cannot be checked against the document"
            )
            fields = found.setdefault(first.value, set())
            data = next((k.value for k in node.keywords if k.arg == "data"), None)
            if name == "Entry" and len(node.args) > 3:
                data = node.args[3]
            if isinstance(data, ast.Dict):
                fields |= {k.value for k in data.keys if isinstance(k, ast.Constant)}
            if name == "record":
                fields |= {k for k in keywords if k not in (None, "actor", "data", "dispatch")}
    return found


def test_every_kind_written_in_the_code_is_documented_with_its_data() -> None:
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r"^\| `([a-z_]+)` \| [^|]+ \| (.*) \|$", DOC.read_text(encoding="utf-8"), re.M)
    }
    kinds = _appended_kinds()
    assert len(kinds) > 30 and {"supervisor_started", "usage", "exited", "prompt_delivered"} <= set(kinds)
    missing = sorted(set(kinds) - set(rows))
    assert not missing, f"kinds written by the code but missing from docs/receipts.md: {missing}"
    for kind, fields in kinds.items():
        undocumented = sorted(f for f in fields if f"`{f}`" not in rows[kind])
        assert not undocumented, f"{kind}: data members not in docs/receipts.md: {undocumented}"
