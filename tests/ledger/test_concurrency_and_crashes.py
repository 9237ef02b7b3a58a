"""Many processes at once, and appenders killed with SIGKILL at random moments."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cockpit.ledger import Ledger, iter_receipts, verify

APPENDER = """
import sys
from cockpit.ledger import Ledger
ledger = Ledger(sys.argv[1])
name, count = sys.argv[2], int(sys.argv[3])
for i in range(count):
    ledger.append("note", actor=name, data={"i": i, "pad": "p" * (i % 300)})
"""


def spawn(directory: Path, name: str, count: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", APPENDER, str(directory), name, str(count)])


@pytest.mark.integration  # starts eight appender processes
def test_eight_processes_appending_500_each_make_one_linear_chain(tmp_path: Path) -> None:
    procs = [spawn(tmp_path, f"w{k}", 500) for k in range(8)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    report = verify(tmp_path)
    assert report.ok, report.problem
    assert report.records == 4001  # genesis + 8 x 500
    seen = {(r.actor, r.data["i"]) for _, r in iter_receipts(tmp_path) if r.kind == "note"}
    assert seen == {(f"w{k}", i) for k in range(8) for i in range(500)}


@pytest.mark.integration  # starts appender processes and kills them at random
def test_appenders_killed_at_random_moments_never_fork_or_restart(tmp_path: Path) -> None:
    rng = random.Random(1234)
    for _ in range(12):
        procs = [spawn(tmp_path, f"r{k}", 100_000) for k in range(3)]
        time.sleep(rng.uniform(0.15, 0.6))
        for proc in procs:
            time.sleep(rng.uniform(0, 0.02))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        report = verify(tmp_path)
        assert report.ok or report.problem.reason == "torn tail", report.problem
        Ledger(tmp_path).append("note", actor="after-crash")
        report = verify(tmp_path)
        assert report.ok, report.problem
    records = [r for _, r in iter_receipts(tmp_path)]
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert sum(r.kind == "ledger_created" for r in records) == 1


def test_a_torn_line_is_quarantined_and_the_chain_continues(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    for i in range(10):
        ledger.append("note", actor="a", data={"i": i})
    last_hash = verify(tmp_path).last_hash
    torn = b'{"actor":"a","data":{"i":10},"dispatch":null,"kind":"no'
    with open(tmp_path / "ledger.ndjson", "ab") as handle:
        handle.write(torn)
    assert verify(tmp_path).problem.reason == "torn tail"
    ledger.append("note", actor="a", data={"i": 11})
    records = [r for _, r in iter_receipts(tmp_path)]
    repaired = records[-2]
    assert repaired.kind == "ledger_repaired" and repaired.prev == last_hash
    assert repaired.data["length"] == len(torn)
    qfile = tmp_path / repaired.data["quarantine_file"]
    start = repaired.data["quarantine_offset"]
    assert qfile.read_bytes()[start : start + len(torn)] == torn
    report = verify(tmp_path)
    assert report.ok and report.repairs == 1


def test_a_complete_line_written_before_the_head_update_is_adopted(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    for i in range(5):
        ledger.append("note", actor="a", data={"i": i})
    head_before = json.loads((tmp_path / "ledger.head").read_bytes())
    ledger.append("note", actor="a", data={"i": 5})
    # as if killed between the two fsyncs: the head still announces the append under way
    head_before["next"] = (tmp_path / "ledger.ndjson").stat().st_size
    raw = json.dumps(head_before, sort_keys=True, separators=(",", ":")).encode()
    (tmp_path / "ledger.head").write_bytes(raw.ljust(255) + b"\n")
    report = verify(tmp_path)
    assert report.ok and report.head_lag == 1 and report.warnings
    ledger.append("note", actor="a", data={"i": 6})
    records = [r for _, r in iter_receipts(tmp_path)]
    assert [r.data.get("i") for r in records[1:]] == [0, 1, 2, 3, 4, 5, 6]
    assert verify(tmp_path).ok and not verify(tmp_path).warnings


def test_records_written_past_the_head_by_anything_but_an_append_are_quarantined(tmp_path: Path) -> None:
    from cockpit.domain.receipt import seal

    ledger = Ledger(tmp_path)
    for i in range(5):
        ledger.append("note", actor="a", data={"i": i})
    report = verify(tmp_path)
    _, forged = seal(
        seq=7,
        ts="2026-11-28T00:00:00.000000Z",
        kind="note",
        actor="mallory",
        dispatch=None,
        data={"text": "forged"},
        prev=report.last_hash,
    )
    with open(tmp_path / "ledger.ndjson", "ab") as handle:  # a sound successor, but nobody announced it
        handle.write(forged)
    problem = verify(tmp_path).problem
    assert (problem.reason, problem.seq) == ("unannounced tail", 7)
    ledger.append("note", actor="a", data={"i": 5})
    records = [r for _, r in iter_receipts(tmp_path)]
    assert [r.kind for r in records[-2:]] == ["ledger_repaired", "note"] and "mallory" not in {r.actor for r in records}
    assert verify(tmp_path).ok


def test_torn_very_first_append(tmp_path: Path) -> None:
    (tmp_path / "ledger.ndjson").write_bytes(b'{"actor":"coc')
    Ledger(tmp_path).append("note", actor="a")
    records = [r.kind for _, r in iter_receipts(tmp_path)]
    assert records == ["ledger_created", "ledger_repaired", "note"]
    assert verify(tmp_path).ok


def test_many_repairs_still_verify(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    for round_ in range(5):
        ledger.append("note", actor="a", data={"round": round_})
        with open(tmp_path / "ledger.ndjson", "ab") as handle:
            handle.write(os.urandom(37).replace(b"\n", b"x"))
    ledger.append("note", actor="a")
    report = verify(tmp_path)
    assert report.ok and report.repairs == 5
    lines = (tmp_path / "ledger.quarantine").read_bytes()
    assert len(lines) == 5 * 37
    assert all(json.loads(line) for line in (tmp_path / "ledger.ndjson").read_bytes().splitlines())
