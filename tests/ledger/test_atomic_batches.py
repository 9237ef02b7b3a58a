"""A batch (`append_many`) is adopted whole or quarantined whole, even when its writer dies inside the write."""

from __future__ import annotations

import json
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cockpit.ledger import Ledger, iter_receipts, verify

BATCHER = """
import signal, sys
from cockpit.ledger import Entry, Ledger
if len(sys.argv) > 5:  # Python ignores SIGXFSZ; let the file-size limit kill this writer as it would any program
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
ledger = Ledger(sys.argv[1])
name, size, rounds = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
print("ready", flush=True)
for b in range(rounds):
    ledger.append_many([Entry("note", name, None, {"batch": f"{name}-{b}", "i": i, "n": size, "pad": "x" * 900})
                        for i in range(size)])
"""


def batcher(directory: Path, name: str, size: int, rounds: int, *extra: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", BATCHER, str(directory), name, str(size), str(rounds), *extra], stdout=subprocess.PIPE, **kw
    )


def assert_batches_whole(directory: Path) -> dict[str, int]:
    seen: dict[str, list[int]] = {}
    sizes: dict[str, int] = {}
    for _, r in iter_receipts(directory):
        if r.kind == "note" and "batch" in r.data:
            seen.setdefault(r.data["batch"], []).append(r.data["i"])
            sizes[r.data["batch"]] = r.data["n"]
    for batch, items in seen.items():
        assert items == list(range(sizes[batch])), f"batch {batch} adopted in part: {len(items)} of {sizes[batch]}"
    return {b: len(v) for b, v in seen.items()}


@pytest.mark.integration  # starts appender processes and kills them at random
def test_a_writer_killed_inside_a_large_batch_leaves_nothing_of_it_adopted(tmp_path: Path) -> None:
    Ledger(tmp_path).append("note", actor="setup")
    start = (tmp_path / "ledger.ndjson").stat().st_size
    # The kernel stops the write at this file size and kills the writer (SIGXFSZ) mid-batch:
    # about half of the batch's bytes, many complete lines among them, reach the file.
    limit = start + 1000 * 1000

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = batcher(tmp_path, "big", 2000, 1, "die-on-limit", preexec_fn=cap)
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGXFSZ
    raw = (tmp_path / "ledger.ndjson").read_bytes()
    assert len(raw) == limit and raw[start:].count(b"\n") > 100  # complete lines of the batch are there
    report = verify(tmp_path)
    assert not report.ok and report.problem.reason == "torn tail"
    Ledger(tmp_path).append("note", actor="after")
    assert assert_batches_whole(tmp_path) == {}
    records = [r for _, r in iter_receipts(tmp_path)]
    assert [r.kind for r in records] == ["ledger_created", "note", "ledger_repaired", "note"]
    repaired = records[2].data
    assert (repaired["offset"], repaired["length"]) == (start, limit - start)
    assert verify(tmp_path).ok


def test_a_batch_written_whole_before_the_head_update_is_adopted(tmp_path: Path) -> None:
    from cockpit.ledger import Entry

    ledger = Ledger(tmp_path)
    ledger.append("note", actor="a")
    head_before = (tmp_path / "ledger.head").read_bytes()
    ledger.append_many([Entry("note", "a", None, {"batch": "b", "i": i, "n": 5}) for i in range(5)])
    intent = json.loads(head_before)
    intent["next"] = (tmp_path / "ledger.ndjson").stat().st_size
    raw = json.dumps(intent, sort_keys=True, separators=(",", ":")).encode()
    (tmp_path / "ledger.head").write_bytes(raw.ljust(255) + b"\n")  # killed between the ledger's fsync and the head's
    report = verify(tmp_path)
    assert report.ok and report.head_lag == 5
    ledger.append("note", actor="a")
    assert assert_batches_whole(tmp_path) == {"b": 5}
    assert verify(tmp_path).ok and verify(tmp_path).head_lag == 0


@pytest.mark.integration  # starts appender processes and kills them at random
def test_batch_writers_killed_at_random_moments_never_leave_a_partial_batch(tmp_path: Path) -> None:
    rng = random.Random(77)
    for round_ in range(8):
        procs = [batcher(tmp_path, f"r{round_}w{k}", 800, 1000) for k in range(2)]
        for proc in procs:
            assert proc.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.2, 0.8))
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        Ledger(tmp_path).append("note", actor="after-crash")
        report = verify(tmp_path)
        assert report.ok, report.problem
        assert_batches_whole(tmp_path)
    records = [r for _, r in iter_receipts(tmp_path)]
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
