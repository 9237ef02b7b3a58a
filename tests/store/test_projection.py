"""The store is a projection of the ledger: rebuild equals incremental, whatever the history."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import reference_projection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cockpit.ledger import Entry, Ledger
from cockpit.store import Recorder, Store
from cockpit.store.db import StoreError
from cockpit.store.schema import PROJECTION_TABLES

KINDS = [
    "dispatch_created",
    "worktree_created",
    "worker_started",
    "prompt_delivered",
    "status_changed",
    "usage",
    "diff_stat",
    "exited",
    "timed_out",
    "killed",
    "lost",
    "torn_down",
    "restored",
    "review_changed",
    "note",
    "gate_result",
    "approved",
    "rejected",
    "promoted",
    "unknown_kind",
    "gate_started",
    "start_failed",
    "worker_resumed",
    "promotion_failed",
    "paused",
    "resumed",
    "budget_exceeded",
]


def random_entry(rng: random.Random, ids: list[str]) -> Entry:
    kind = rng.choice(KINDS)
    if kind == "dispatch_created" or not ids:
        new_id = f"d{len(ids):09d}" if rng.random() < 0.9 else f'q"\\{len(ids):07d}'  # odd ids: the slow path
        ids.append(new_id)
        return Entry(
            "dispatch_created",
            "supervisor",
            new_id,
            {
                "title": f"task {len(ids)}",
                "prompt_sha256": "ab" * 32,
                "prompt_bytes": rng.randint(1, 10**6),
                "provider": rng.choice(["fake", "claude", "shell"]),
                "mode": "headless",
                "priority": rng.randint(-3, 3),
                "timeout_s": rng.choice([None, 60]),
                "base_ref": "HEAD",
                "branch": f"cockpit/{new_id}",
                "worktree": f"/w/{new_id}",
                "target": "main",
                "risk": rng.choice(["low", "high"]),
                "task": {"accept": ["true"]},
            },
        )
    target = rng.choice(ids + ["zzzzzzzzzz"])  # sometimes an id the store never saw
    data: dict = {
        "worktree_created": {"base_commit": "c" * 40, "branch": "b", "worktree": "/w"},
        "status_changed": {"from": "working", "to": rng.choice(["working", "waiting", "idle"])},
        "usage": {
            "input_tokens": rng.randint(0, 9999),
            "output_tokens": rng.randint(0, 999),
            "cost_micro_usd": rng.randint(0, 10**6),
        },
        "diff_stat": {"added": rng.randint(0, 99), "removed": rng.randint(0, 99), "files": rng.randint(0, 9)},
        "exited": {"code": rng.randint(0, 3)},
        "torn_down": {"classification": rng.choice(["clean", "dirty"]), "archive_ref": "refs/cockpit/archive/x"},
        "review_changed": {"to": rng.choice(["gating", "awaiting_approval", "changes_requested"])},
        "note": {
            "text": rng.choice(
                [
                    f"note {rng.random()}",
                    'tricky ","dispatch":"d000000001","kind":"exited"',
                    'ünïcødé \\ "quoted" ,"kind":"note","prev":"' + "0" * 64,
                ]
            )
        },
        "gate_result": {
            "gate": rng.choice(["tests", "scope"]),
            "kind": "command",
            "status": rng.choice(["passed", "failed"]),
            "findings": [{"m": "x"}],
        },
        "gate_started": {"gate": rng.choice(["tests", "scope"]), "kind": "command", "head_commit": "f" * 40},
        "start_failed": {"error": "no such agent"},
        "approved": {"diff_sha256": "d" * 64},
        "rejected": {"reason": "no"},
        "promoted": {"commit": "e" * 40},
        "paused": {"from": rng.choice(["working", "idle"])},
        "resumed": {"to": rng.choice(["working", "idle"]), "paused_ms": rng.randint(0, 99999)},
        "budget_exceeded": {"limit": rng.choice(["tokens", "cost"])},
    }.get(kind, {"anything": rng.randint(0, 5)})
    actor = rng.choice(["supervisor", "alice@host", 'bob "the builder" \\ ü', 'x","data":{}'])
    return Entry(kind, actor, None if kind == "note" else target, data)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_rebuild_equals_incremental_on_a_long_random_history(tmp_path_factory: pytest.TempPathFactory, seed: int) -> None:
    rng = random.Random(seed)
    root = tmp_path_factory.mktemp("proj")
    ledger = Ledger(root)
    incremental = Store(root / "state.db", root)
    other_reader = Store(root / "state.db", root)  # a second process's view of the same db
    recorder = Recorder(ledger, incremental)
    ids: list[str] = []
    for _ in range(400):
        batch = [random_entry(rng, ids) for _ in range(rng.choice([1, 1, 1, 3]))]
        if rng.random() < 0.3:
            ledger.append_many(batch)  # store left behind, as after a crash between the two writes
        else:
            recorder.record_many(batch)
        if rng.random() < 0.1:
            other_reader.catch_up()
    incremental.catch_up()
    rebuilt = Store(root / "rebuilt.db", root)
    rebuilt.rebuild()
    assert incremental.snapshot() == rebuilt.snapshot()
    assert incremental.last_seq == rebuilt.last_seq > 400
    incremental.rebuild()
    assert incremental.snapshot() == rebuilt.snapshot()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_batch_fold_equals_one_statement_per_receipt(tmp_path_factory: pytest.TempPathFactory, seed: int) -> None:
    """The in-memory fold writes exactly the rows the old per-receipt SQL projection wrote."""
    rng = random.Random(seed)
    root = tmp_path_factory.mktemp("oracle")
    ledger = Ledger(root)
    ids: list[str] = []
    for _ in range(300):
        ledger.append_many([random_entry(rng, ids) for _ in range(rng.choice([1, 2, 5]))])
    folded = Store(root / "folded.db", root)
    folded.rebuild()
    want, got = reference_projection.snapshot(root), folded.snapshot()
    for table in PROJECTION_TABLES:
        assert got[table] == want[table], table
    assert len(got["dispatches"]) > 5 and len(got["gate_results"]) > 1


def test_projection_reflects_a_dispatch_life(tmp_path: Path) -> None:
    recorder = Recorder(Ledger(tmp_path), Store(tmp_path / "state.db", tmp_path))
    rec = recorder.record
    rec(
        "dispatch_created",
        actor="supervisor",
        dispatch="d1",
        data={
            "title": "fix it",
            "prompt_sha256": "f" * 64,
            "prompt_bytes": 6,
            "provider": "fake",
            "mode": "headless",
            "base_ref": "HEAD",
            "branch": "cockpit/d1",
            "worktree": "/w/d1",
        },
    )
    rec("worker_started", actor="supervisor", dispatch="d1")
    rec("prompt_delivered", actor="supervisor", dispatch="d1", data={"bytes": 6})
    rec("usage", actor="supervisor", dispatch="d1", data={"input_tokens": 10, "output_tokens": 5, "cost_micro_usd": 1200})
    rec("exited", actor="supervisor", dispatch="d1", data={"code": 0})
    d = recorder.store.dispatch("d1")
    assert (d.state, d.exit_code, d.tokens_in, d.tokens_out, d.cost_micro_usd) == ("exited", 0, 10, 5, 1200)
    assert d.started_ts and d.ended_ts and d.final


def test_a_store_ahead_of_its_ledger_says_so(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    store = Store(tmp_path / "state.db", tmp_path)
    for i in range(5):
        ledger.append("note", actor="a", data={"text": str(i)})
    store.catch_up()
    ledger.close()
    for name in ("ledger.ndjson", "ledger.head"):
        (tmp_path / name).unlink()
    Ledger(tmp_path).append("note", actor="a", data={"text": "new"})
    with pytest.raises(StoreError):
        store.catch_up()
    assert store.rebuild() == 2
