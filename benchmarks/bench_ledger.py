"""Figure 4: the ledger. Appends (one process and eight), verify against sha256sum, the last 50 receipts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.core import Check, Figure, Profile, median
from benchmarks.fleet import Log
from benchmarks.peer_ledger import check_chain, peer_append

COCKPIT_APPENDER = """
import sys
from cockpit.ledger import Ledger
ledger = Ledger(sys.argv[1])
name, count = sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()
for i in range(count):
    ledger.append("note", actor=name, data={"i": i, "w": name})
"""

VERIFIER = """
import json, resource, sys, time
from cockpit.ledger import verify
started = time.perf_counter()
report = verify(sys.argv[1])
seconds = time.perf_counter() - started
print(json.dumps({"ok": report.ok, "records": report.records, "bytes": report.bytes, "seconds": seconds,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

ROOT = Path(__file__).resolve().parent.parent


def _rate_cockpit(directory: Path, count: int) -> float:
    from cockpit.ledger import Ledger

    with Ledger(directory) as ledger:
        ledger.append("note", actor="warm-up", data={})
        started = time.perf_counter()
        for i in range(count):
            ledger.append("note", actor="bench", data={"i": i, "w": "bench"})
        return count / (time.perf_counter() - started)


def _rate_peer(path: Path, count: int) -> float:
    peer_append(path, "note", "warm-up", {})
    started = time.perf_counter()
    for i in range(count):
        peer_append(path, "note", "bench", {"i": i, "w": "bench"})
    return count / (time.perf_counter() - started)


def _many_processes(argv_for: list[list[str]]) -> float:
    """Start every appender, release them together, return the wall time until the last one is done."""
    procs = [subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT) for argv in argv_for]
    for proc in procs:  # interpreters started and imports done: only the appends are timed
        assert proc.stdout is not None
        if proc.stdout.readline() != b"ready\n":
            raise RuntimeError(f"an appender did not start (exit {proc.wait()})")
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
    for proc in procs:
        if proc.wait(timeout=600) != 0:
            raise RuntimeError(f"an appender exited with {proc.returncode}")
    return time.perf_counter() - started


def shaped_entries(first: int, count: int) -> list:
    """`count` receipts shaped like a busy repository's (status changes, usage, gate results, notes)."""
    from cockpit.ledger import Entry

    shapes = [
        lambda i: Entry("status_changed", "supervisor", f"{i % SHAPED_DISPATCHES:010d}", {"from": "working", "to": "idle"}),
        lambda i: Entry(
            "usage",
            "supervisor",
            f"{i % SHAPED_DISPATCHES:010d}",
            {"input_tokens": i, "output_tokens": i // 3, "cost_micro_usd": i * 7},
        ),
        lambda i: Entry(
            "gate_result",
            "supervisor",
            f"{i % SHAPED_DISPATCHES:010d}",
            {
                "gate": "tests",
                "status": "passed",
                "diff_sha256": f"{i:064x}",
                "exit_code": 0,
                "summary": "412 passed in 3.2 s",
                "duration_ms": 3200,
            },
        ),
        lambda i: Entry("note", "alice@build-box", None, {"text": f"checkpoint {i}: Grüße, all good"}),
    ]
    return [shapes[(first + k) % 4](first + k) for k in range(count)]


def append_shaped(directory: Path, count: int, first: int = 1) -> None:
    """Append `count` shaped receipts in batches of 1000 (a new ledger gets its genesis record first)."""
    from cockpit.ledger import Ledger

    with Ledger(directory) as ledger:
        written = 0
        while written < count:
            batch = min(1000, count - written)
            ledger.append_many(shaped_entries(first + written, batch))
            written += batch


SHAPED_DISPATCHES = 99991  # the dispatch ids of shaped_entries: f"{i % SHAPED_DISPATCHES:010d}"


def created_entries(first: int, count: int) -> list:
    """`dispatch_created` for the ids shaped_entries uses (a ledger where every update finds its dispatch)."""
    from cockpit.ledger import Entry

    data = {"title": "t", "prompt_sha256": "0" * 64, "prompt_bytes": 1, "provider": "fake", "mode": "headless"}
    return [
        Entry("dispatch_created", "supervisor", f"{i:010d}", {**data, "title": f"task {i}"}) for i in range(first, first + count)
    ]


def generate(directory: Path, records: int, *, known: bool = False) -> int:
    """A ledger of `records` receipts shaped like a busy repository's, in batches of 1000; returns bytes.
    `known`: the ledger opens with the `dispatch_created` of every dispatch the receipts name (then
    each status change, usage and gate result updates a dispatch the store holds), counted in `records`."""
    from cockpit.ledger import Ledger

    created = min(SHAPED_DISPATCHES, records // 2) if known else 0
    with Ledger(directory) as ledger:
        for first in range(0, created, 1000):
            ledger.append_many(created_entries(first, min(1000, created - first)))
    append_shaped(directory, records - 1 - created)  # the genesis record comes with the first batch
    return (directory / "ledger.ndjson").stat().st_size


def _verify(directory: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", VERIFIER, str(directory)], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    result = json.loads(out)
    if not result["ok"]:
        raise RuntimeError(f"the generated ledger does not verify: {result}")
    return result


def _sha256sum(path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(["sha256sum", str(path)], check=True, capture_output=True)
    return time.perf_counter() - started


def _tail_ms(directory: Path, repeats: int = 25) -> float:
    from cockpit.ledger import tail

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        found = tail(directory, 50)
        times.append((time.perf_counter() - started) * 1000)
        assert len(found) == 50
    return median(times)


def _tail1_ms(path: Path, repeats: int = 25) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(["tail", "-n", "50", str(path)], check=True, capture_output=True)
        times.append((time.perf_counter() - started) * 1000)
    return median(times)


def appends(profile: Profile, work: Path, log: Log) -> list[Figure]:
    ours, theirs = [], []
    for r in range(profile.repeats):
        ours.append(_rate_cockpit(work / f"single-{r}", profile.single_appends))
        theirs.append(_rate_peer(work / f"peer-single-{r}.ndjson", profile.peer_appends))
    log(f"one process: cockpit {median(ours):.0f}/s, peer {median(theirs):.0f}/s")
    total = profile.procs * profile.appends_per_proc
    many, peer_many = [], []
    for r in range(profile.multi_repeats):
        directory = work / f"multi-{r}"
        many.append(
            _many_processes(
                [
                    [sys.executable, "-c", COCKPIT_APPENDER, str(directory), f"w{k}", str(profile.appends_per_proc)]
                    for k in range(profile.procs)
                ]
            )
        )
        from cockpit.ledger import verify

        report = verify(directory)
        if not report.ok or report.records != total + 1:
            raise RuntimeError(f"{profile.procs} appenders left a bad ledger: {report.problem} ({report.records})")
        path = work / f"peer-multi-{r}.ndjson"
        peer_many.append(
            _many_processes(
                [
                    [sys.executable, "-m", "benchmarks.peer_ledger", str(path), f"w{k}", str(profile.appends_per_proc)]
                    for k in range(profile.procs)
                ]
            )
        )
        if check_chain(path) != total:
            raise RuntimeError("the peer appenders lost records")
    log(f"{profile.procs} x {profile.appends_per_proc}: cockpit {median(many):.2f} s, peer {median(peer_many):.2f} s")
    rate, peer_rate = median(ours), median(theirs)
    seconds, peer_seconds = median(many), median(peer_many)
    return [
        Figure(
            name="ledger_append",
            title="ledger appends, one process",
            unit="/s",
            value=rate,
            samples=ours,
            baseline_label="peer appender",
            baseline=peer_rate,
            baseline_samples=theirs,
            ratio=rate / peer_rate,
            ratio_text="the peer's rate",
            checks=[Check(">= 2,000/s", rate >= 2000)],
            notes=[
                "each append locked and fsynced on its own (cockpit: ledger and head; peer: the log)",
                f"peer appender measured over {profile.peer_appends} appends (its cost grows with the file)",
            ],
        ),
        Figure(
            name="ledger_append_8proc",
            title=f"{profile.procs} processes x {profile.appends_per_proc} appends",
            unit="s",
            value=seconds,
            samples=many,
            baseline_label="peer appender",
            baseline=peer_seconds,
            baseline_samples=peer_many,
            ratio=seconds / peer_seconds,
            ratio_text="the peer's time",
            checks=[Check("< 4 s", seconds < 4)],
            notes=["wall time from releasing the started processes to the last exit; the chain verifies after"],
        ),
    ]


def verify_and_tail(profile: Profile, work: Path, log: Log) -> list[Figure]:
    big, small = work / "big", work / "small"
    started = time.monotonic()
    size = generate(big, profile.ledger_records)
    generate(small, profile.small_ledger_records)
    log(f"generated {profile.ledger_records} records ({size / 1e6:.0f} MB) in {time.monotonic() - started:.1f} s")
    runs = [_verify(big) for _ in range(profile.repeats)]
    sha = [_sha256sum(big / "ledger.ndjson") for _ in range(profile.repeats)]
    small_rss = median([_verify(small)["maxrss_kb"] for _ in range(2)])
    ours = [r["bytes"] / r["seconds"] / 1e6 for r in runs]
    theirs = [size / s / 1e6 for s in sha]
    big_rss = median([r["maxrss_kb"] for r in runs])
    n, m = profile.ledger_records, profile.small_ledger_records
    scale = f"{n / m:.0f}x the records"
    log(
        f"verify {median(ours):.0f} MB/s, sha256sum {median(theirs):.0f} MB/s; peak RSS {big_rss / 1024:.0f} MB "
        f"(at {m:,} records: {small_rss / 1024:.0f} MB)"
    )
    tail_big, tail_small = _tail_ms(big), _tail_ms(small)
    tail_base = _tail1_ms(big / "ledger.ndjson")
    log(f"last 50: {tail_big:.2f} ms ({tail_small:.2f} ms at {m:,} records); tail -n 50 {tail_base:.2f} ms")
    throughput, base = median(ours), median(theirs)
    return [
        Figure(
            name="ledger_verify",
            title=f"verify, {profile.ledger_records:,} records",
            unit="MB/s",
            value=throughput,
            samples=ours,
            baseline_label="sha256sum",
            baseline=base,
            baseline_samples=theirs,
            ratio=throughput / base,
            ratio_text="sha256sum's throughput",
            checks=[
                Check(">= 0.5x sha256sum", throughput / base >= 0.5),
                Check(f"memory flat (peak RSS < +10% at {scale})", big_rss < small_rss * 1.10),
            ],
            notes=[
                f"peak RSS {big_rss / 1024:.0f} MB at {n:,} records, {small_rss / 1024:.0f} MB at {m:,}",
                "verify timed inside its process (interpreter start-up excluded); sha256sum as a whole process",
            ],
            extra={"bytes": size, "peak_rss_kb": big_rss, "peak_rss_kb_small": small_rss},
        ),
        Figure(
            name="ledger_tail",
            title="last 50 receipts",
            unit="ms",
            value=tail_big,
            samples=[tail_big],
            baseline_label="tail -n 50",
            baseline=tail_base,
            ratio=tail_big / tail_base,
            ratio_text="tail(1)'s time",
            checks=[
                Check("< 50 ms", tail_big < 50),
                Check(f"flat in the ledger's size (<= 2x at {scale})", tail_big <= 2 * tail_small),
            ],
            notes=[(f"{tail_small:.2f} ms at {m:,} records; medians of 25 calls; tail(1) includes its process start")],
            extra={"ms_small": tail_small},
        ),
    ]


def run(profile: Profile, *, workdir: Path | None, keep: bool) -> list[Figure]:
    log = Log("ledger")
    work = Path(tempfile.mkdtemp(prefix="cockpit-bench-ledger-", dir=workdir))
    try:
        return [*appends(profile, work, log), *verify_and_tail(profile, work, log)]
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
