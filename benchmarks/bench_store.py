"""Figure 6: the store keeps up. `cockpit state rebuild`, a supervisor's cold start on a caught-up
ledger and its catch-up of new receipts, each against `cockpit receipts verify` of the same ledger
in the same run (verify reads, parses and chains every receipt: the floor of any full pass)."""

from __future__ import annotations

import resource
import time

from benchmarks.bench_ledger import append_shaped, generate
from benchmarks.bench_tui import HISTORY_DISPATCHES, history_entries
from benchmarks.core import Check, Figure, Profile, median
from benchmarks.fleet import Log
from benchmarks.procstat import tree_cpu_seconds
from benchmarks.sandbox import Sandbox, sandbox

REBUILD_TARGET = 2.0  # x verify's time
COLD_START_TARGET_S = 1.0
CATCH_UP_TARGET_S = 1.5  # "about a second" for 100,000 receipts, beyond the cold start


def _timed_cli(box: Sandbox, *args: str, cpu: list[float]) -> float:
    """Wall seconds of one CLI process; its CPU seconds (user + system, with the processes it
    waited for: verify's workers) are appended to `cpu`. On a shared machine the wall ratio
    moves with the load; the CPU ratio says how much work each command does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    box.cli(*args)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return seconds


def _start_to_ready(box: Sandbox, cpu: list[float]) -> float:
    """From spawning `cockpit supervise` to its socket answering; the supervisor is stopped after.
    The CPU seconds it spent until then (its children included) are appended to `cpu`."""
    started = time.perf_counter()
    pid = box.start_supervisor()
    seconds = time.perf_counter() - started
    cpu.append(tree_cpu_seconds([pid]))
    box.stop_supervisor()
    return seconds


def _listed(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def run(profile: Profile, *, workdir, keep: bool) -> list[Figure]:
    log = Log("store")
    records, extra = profile.ledger_records, profile.catch_up_records
    with sandbox("store", workdir=workdir, keep=keep) as box:
        directory = box.ws.state.ledger_dir
        started = time.monotonic()
        generate(directory, records)
        from cockpit.ledger import Ledger

        with Ledger(directory) as ledger:
            ledger.append_many(history_entries(HISTORY_DISPATCHES))
        size = (directory / "ledger.ndjson").stat().st_size
        log(
            f"ledger of {records:,} records + {HISTORY_DISPATCHES} dispatches ({size / 1e6:.0f} MB) "
            f"in {time.monotonic() - started:.1f} s"
        )
        verify: list[float] = []
        rebuild: list[float] = []
        verify_cpu: list[float] = []
        rebuild_cpu: list[float] = []
        for r in range(profile.store_repeats):
            for step in ("verify", "rebuild") if r % 2 == 0 else ("rebuild", "verify"):
                if step == "verify":
                    verify.append(_timed_cli(box, "receipts", "verify", cpu=verify_cpu))
                else:
                    rebuild.append(_timed_cli(box, "state", "rebuild", cpu=rebuild_cpu))
            log(
                f"round {r + 1}: verify {verify[-1]:.2f} s ({verify_cpu[-1]:.2f} CPU-s), "
                f"rebuild {rebuild[-1]:.2f} s ({rebuild_cpu[-1]:.2f} CPU-s)"
            )
        cold_cpu: list[float] = []
        cold = [_start_to_ready(box, cold_cpu) for _ in range(profile.store_repeats)]
        log(f"cold start on a caught-up store: {_listed(cold)} s ({_listed(cold_cpu)} CPU-s)")
        catch: list[float] = []
        catch_cpu: list[float] = []
        for r in range(profile.store_repeats):  # the supervisor is down while others append
            append_shaped(directory, extra, first=records + r * extra)
            catch.append(_start_to_ready(box, catch_cpu))
        log(f"start with {extra:,} receipts to fold: {_listed(catch)} s ({_listed(catch_cpu)} CPU-s)")
    with sandbox("store-new", workdir=workdir, keep=keep) as small:  # the same start with a 1-record ledger
        small.cli("init")
        fresh_cpu: list[float] = []
        fresh = [_start_to_ready(small, fresh_cpu) for _ in range(profile.store_repeats)]
    log(f"cold start in a new repository: {_listed(fresh)} s ({_listed(fresh_cpu)} CPU-s)")
    base = median(verify)
    ours, cold_s, catch_s = median(rebuild), median(cold), median(catch)
    fold_s = catch_s - cold_s
    same = f"`cockpit receipts verify` of the same {records:,}-record ledger, whole process, same run"
    return [
        Figure(
            name="store_rebuild",
            title=f"state rebuild, {records:,} records",
            unit="s",
            value=ours,
            samples=rebuild,
            baseline_label="cockpit receipts verify",
            baseline=base,
            baseline_samples=verify,
            ratio=ours / base,
            ratio_text="verify's time",
            checks=[Check(f"<= {REBUILD_TARGET:g}x verify", ours <= REBUILD_TARGET * base)],
            notes=[
                "`cockpit state rebuild` as a whole process: it verifies the ledger (in processes of its "
                "own) while it folds every receipt into a new store, committed only if the ledger verifies",
                f"CPU (user + system, workers included): rebuild {median(rebuild_cpu):.2f} s, verify "
                f"{median(verify_cpu):.2f} s, {median(rebuild_cpu) / median(verify_cpu):.2f}x: the work each does, whatever the load (the wall "
                "ratio also depends on how the load shares the cores: verify's work is spread over every core, "
                "the fold runs in one process)",
            ],
            extra={"ledger_bytes": size, "rebuild_cpu_s": rebuild_cpu, "verify_cpu_s": verify_cpu},
        ),
        Figure(
            name="store_cold_start",
            title=f"supervisor cold start, {records:,} records",
            unit="s",
            value=cold_s,
            samples=cold,
            baseline_label="cockpit receipts verify",
            baseline=base,
            baseline_samples=verify,
            ratio=cold_s / base,
            ratio_text="verify's time",
            checks=[Check(f"< {COLD_START_TARGET_S:g} s", cold_s < COLD_START_TARGET_S)],
            notes=[
                f"spawn of `cockpit supervise` to its socket answering, store caught up; baseline: {same}",
                f"the same in a new repository (a few receipts): {median(fresh):.2f} s; the difference is "
                "what the ledger's size costs a start",
                f"CPU until ready: {median(cold_cpu):.2f} s here, {median(fresh_cpu):.2f} s in the new repository "
                "(the supervisor and its children; the work a start does, whatever the load)",
            ],
            extra={"new_repository_s": fresh, "cpu_s": cold_cpu, "new_repository_cpu_s": fresh_cpu},
        ),
        Figure(
            name="store_catch_up",
            title=f"supervisor catch-up, {extra:,} new receipts",
            unit="s",
            value=catch_s,
            samples=catch,
            baseline_label="cockpit receipts verify",
            baseline=base,
            baseline_samples=verify,
            ratio=catch_s / base,
            ratio_text="verify's time",
            checks=[Check(f"folding them <= {CATCH_UP_TARGET_S:g} s (ready minus the cold start)", fold_s <= CATCH_UP_TARGET_S)],
            notes=[
                f"spawn to answering with {extra:,} receipts appended while it was down (folded before it "
                f"answers); {fold_s:.2f} s beyond the cold start; baseline: {same}",
                f"CPU until ready: {median(catch_cpu):.2f} s, {median(catch_cpu) - median(cold_cpu):.2f} s beyond "
                "the cold start's (the fold's work, whatever the load)",
            ],
            extra={"fold_s": fold_s, "cpu_s": catch_cpu},
        ),
    ]
