"""A rebuild's fold with the chain left to verify (fold_vouched.py) writes exactly the rows of
one statement per receipt, whatever the history, the block size or how many gate keys it holds."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import reference_projection
import test_projection as scenarios
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cockpit.ledger import Entry, Ledger
from cockpit.ledger.files import LedgerPaths, read_head
from cockpit.store import Store, fold_vouched
from cockpit.store.db import StoreError
from cockpit.store.fold_vouched import Vouched
from cockpit.store.schema import PROJECTION_TABLES


def _head(root: Path) -> Vouched:
    _, head = read_head(LedgerPaths(root))
    assert head is not None
    return Vouched(head.size, head.seq, head.hash)


def _vouched_snapshot(root: Path, name: str = "vouched.db") -> tuple[Store, dict]:
    store = Store(root / name, root)
    upto = _head(root)
    assert store.rebuild(vouched=upto) == upto.seq
    return store, store.snapshot()


def _same_tables(got: dict, want: dict) -> None:
    for table in PROJECTION_TABLES:
        assert got[table] == want[table], table


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), chunk=st.sampled_from([512, 4096, 1 << 20]), hold=st.sampled_from([1, 3, 1 << 18]))
def test_vouched_fold_equals_one_statement_per_receipt_and_the_checked_fold(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, seed: int, chunk: int, hold: int
) -> None:
    monkeypatch.setattr(fold_vouched, "CHUNK", chunk)
    monkeypatch.setattr(fold_vouched, "GATE_HOLD", hold)
    rng = random.Random(seed)
    root = tmp_path_factory.mktemp("vouched")
    ledger = Ledger(root)
    ids: list[str] = []
    for _ in range(300):
        ledger.append_many([scenarios.random_entry(rng, ids) for _ in range(rng.choice([1, 2, 5]))])
    store, got = _vouched_snapshot(root)
    _same_tables(got, reference_projection.snapshot(root))
    checked = Store(root / "checked.db", root)
    checked.rebuild()
    assert got == checked.snapshot()  # the meta too: seq, hash and offset
    assert len(got["dispatches"]) > 5 and len(got["gate_results"]) > 1


def _gate(dispatch: str, gate: str, i: int, **extra: object) -> Entry:
    return Entry("gate_result", "supervisor", dispatch, {"gate": gate, "status": "passed", "summary": f"run {i}", **extra})


def test_a_gate_key_spread_over_many_blocks_ends_with_its_last_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fold_vouched, "CHUNK", 2048)  # a few lines a block
    ledger = Ledger(tmp_path)
    created = {"title": "t", "prompt_sha256": "a" * 64, "prompt_bytes": 1, "provider": "fake", "mode": "headless"}
    ledger.append("dispatch_created", actor="supervisor", dispatch="d1", data=created)
    for i in range(200):
        ledger.append_many(
            [
                Entry("gate_started", "supervisor", "d1", {"gate": "tests", "kind": "command"}),
                _gate("d1", "tests", i, duration_ms=i),
                _gate("d2", "scope", i),  # a dispatch the table does not hold: its gate rows are kept all the same
                Entry("note", "alice", None, {"text": f"note {i}"}),
            ]
        )
    ledger.append("gate_started", actor="supervisor", dispatch="d2", data={"gate": "scope", "kind": "command"})
    store, got = _vouched_snapshot(tmp_path)
    _same_tables(got, reference_projection.snapshot(tmp_path))
    rows = {(r["dispatch"], r["gate"]): r for r in (*store.gate_results("d1"), *store.gate_results("d2"))}
    assert (rows[("d1", "tests")]["summary"], rows[("d1", "tests")]["duration_ms"]) == ("run 199", 199)
    assert rows[("d2", "scope")]["status"] == "running"  # a gate_started after the results replaces them
    dispatch = store.dispatch("d1")
    assert dispatch is not None and dispatch.updated_ts == max(r["ts"] for r in rows.values() if r["dispatch"] == "d1")


def test_gate_lines_of_unusual_shapes_take_the_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A nested `gate`, escapes, odd dispatch ids, a name that is not a string: the row a statement per receipt writes."""
    monkeypatch.setattr(fold_vouched, "CHUNK", 1024)
    ledger = Ledger(tmp_path)
    odd = [
        _gate("d1", "tests", 0, findings=[{"gate": "decoy", "m": "x"}]),  # a nested gate key before the real one
        _gate("d1", "tests", 1, summary='said "gate":"decoy" \\ ok'),
        _gate('d"\\2', "scope", 2),
        _gate("d3", "a{b", 3),
        _gate("d3", "ünï", 4, findings=[{"x": {"gate": "decoy"}}]),
        Entry("gate_result", "supervisor", "d4", {"gate": 7, "status": "failed"}),  # not a string
    ]
    for entry in odd:
        ledger.append_many([entry, Entry("note", "bob", None, {"text": "between"})])
    store, got = _vouched_snapshot(tmp_path)
    _same_tables(got, reference_projection.snapshot(tmp_path))
    assert [(r["gate"], r["summary"]) for r in store.gate_results("d1")] == [("tests", 'said "gate":"decoy" \\ ok')]
    assert sorted(r["gate"] for r in store.gate_results("d3")) == ["a{b", "ünï"]
    assert [r["gate"] for r in store.gate_results("d4")] == ["7"]


def test_a_vouched_fold_that_does_not_end_on_the_vouched_record_keeps_the_old_store(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    for i in range(20):
        ledger.append("note", actor="a", data={"text": str(i)})
    store, before = _vouched_snapshot(tmp_path, "state.db")
    upto = _head(tmp_path)
    lines = (tmp_path / "ledger.ndjson").read_bytes().splitlines(keepends=True)
    one_short = sum(len(line) for line in lines[:-1])
    second_last = json.loads(lines[-2])
    for wrong in (
        Vouched(upto.offset, upto.seq, "0" * 64),  # another hash
        Vouched(upto.offset, upto.seq + 1, upto.hash),  # another seq
        Vouched(one_short, upto.seq, upto.hash),  # the offset of another record
    ):
        with pytest.raises(StoreError, match="does not end on record"):
            store.rebuild(vouched=wrong)
        assert store.snapshot() == before
    # the record before the last, named rightly: the fold ends there (the next catch-up folds the rest)
    other = Store(tmp_path / "other.db", tmp_path)
    assert other.rebuild(vouched=Vouched(one_short, second_last["seq"], second_last["hash"])) == second_last["seq"]
    assert other.catch_up() == 1 and other.snapshot() == before
