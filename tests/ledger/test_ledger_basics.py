from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.domain.receipt import GENESIS, parse_line, seal
from cockpit.errors import LedgerError
from cockpit.ledger import Ledger, iter_receipts, tail, verify
from cockpit.ledger.lines import inspect_line


def test_first_append_starts_the_chain_at_genesis(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    receipt = ledger.append("note", actor="alice@host", data={"text": "hi"})
    records = [r for _, r in iter_receipts(tmp_path)]
    assert [r.kind for r in records] == ["ledger_created", "note"]
    assert records[0].prev == GENESIS and records[0].seq == 1
    assert receipt.seq == 2 and receipt.prev == records[0].hash
    assert verify(tmp_path).ok


def test_records_carry_the_required_fields(tmp_path: Path) -> None:
    Ledger(tmp_path).append("worker_started", actor="supervisor", dispatch="d1", data={"n": 1})
    line = (tmp_path / "ledger.ndjson").read_bytes().splitlines()[-1]
    obj = json.loads(line)
    assert set(obj) == {"seq", "ts", "kind", "actor", "dispatch", "data", "prev", "hash"}
    assert obj["ts"].endswith("Z") and len(obj["ts"]) == 27
    assert obj["dispatch"] == "d1"


def test_tail_returns_the_last_n_in_order(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    for i in range(300):
        ledger.append("note", actor="a", data={"i": i, "pad": "x" * (i % 50)})
    last = tail(tmp_path, 5)
    assert [r.data["i"] for r in last] == [295, 296, 297, 298, 299]
    assert len(tail(tmp_path, 10_000)) == 301
    assert tail(tmp_path, 0) == []


def test_tail_never_parses_the_start_of_the_ledger(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    for i in range(2000):
        ledger.append("note", actor="a", data={"i": i})
    path = tmp_path / "ledger.ndjson"
    raw = bytearray(path.read_bytes())
    first_half = len(raw) // 2
    raw[:first_half] = bytes(b if b == 0x0A else 0x21 for b in raw[:first_half])  # garbage, same size
    path.write_bytes(bytes(raw))
    assert [r.data["i"] for r in tail(tmp_path, 3)] == [1997, 1998, 1999]


def test_malformed_receipts_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.append("note", actor="a")
    size = (tmp_path / "ledger.ndjson").stat().st_size
    for kind, data in [("Not-Snake", {}), ("note", {"x": 1.5}), ("note", {"é": 1}), ("note", {"n": 2**60})]:
        with pytest.raises(LedgerError):
            ledger.append(kind, actor="a", data=data)
    assert (tmp_path / "ledger.ndjson").stat().st_size == size
    assert verify(tmp_path).ok


def test_append_refuses_a_ledger_shorter_than_its_head(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    for i in range(20):
        ledger.append("note", actor="a", data={"i": i})
    path = tmp_path / "ledger.ndjson"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-3]))
    with pytest.raises(LedgerError, match="shorter than its head"):
        Ledger(tmp_path).append("note", actor="a")
    assert path.read_bytes() == b"".join(lines[:-3])


def test_lost_head_is_rebuilt_from_the_last_record(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    for i in range(5):
        ledger.append("note", actor="a", data={"i": i})
    ledger.close()
    (tmp_path / "ledger.head").unlink()
    assert verify(tmp_path).problem.reason == "head mismatch"
    Ledger(tmp_path).append("note", actor="a", data={"i": 5})
    report = verify(tmp_path)
    assert report.ok and report.last_seq == 7


def test_batch_append_is_consecutive(tmp_path: Path) -> None:
    from cockpit.ledger import Entry

    ledger = Ledger(tmp_path)
    out = ledger.append_many([Entry("a_b", "x"), Entry("c", "y", "d1", {"k": [1, "two", None, True]})])
    assert [r.seq for r in out] == [2, 3]
    assert verify(tmp_path).ok


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(st.characters(max_codepoint=127), max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    data=st.dictionaries(st.text(st.characters(max_codepoint=127), max_size=10), json_values, max_size=5),
    actor=st.text(min_size=1, max_size=20),
)
def test_any_sealed_line_parses_and_checks_out(data: dict, actor: str) -> None:
    try:
        receipt, line = seal(
            seq=7, ts="2026-01-02T03:04:05.123456Z", kind="note", actor=actor, dispatch=None, data=data, prev="a" * 64
        )
    except ValueError:
        return  # e.g. lone surrogates: refused, never written
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert parse_line(line) == receipt
    facts = inspect_line(line[:-1])
    assert (facts.seq, facts.prev, facts.hash) == (7, "a" * 64, receipt.hash)
