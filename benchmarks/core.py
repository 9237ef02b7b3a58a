"""What every benchmark shares: figures with their baselines and targets, statistics, the report."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class Skipped(Exception):
    """A benchmark that cannot run here; the message says why (it is printed and kept in the JSON)."""


@dataclass(frozen=True)
class Profile:
    """Sizes and repeats of one run: `--quick` (CI smoke test) or the full release run."""

    quick: bool
    workers: int  # idle fleet for the idle CPU and status latency figures
    window_s: float  # one CPU measurement window
    windows: int  # repeated windows per side (medians are taken over them)
    status_samples: int  # cockpit's prompt -> waiting samples
    baseline_status_samples: int
    repo_files: int  # the generated repository for dispatch latency
    dispatch_runs: int
    single_appends: int
    peer_appends: int
    procs: int
    appends_per_proc: int
    ledger_records: int
    small_ledger_records: int  # for "flat in the ledger's size": big enough to fill verify's read buffer
    repeats: int  # repeats of the cheap measurements (verify, sha256sum, rates)
    multi_repeats: int  # repeats of the eight-process append race
    tui_paint_repeats: int  # launches of `cockpit ui` (and of the baseline app) timed to first paint
    tui_workers: int  # workers printing 100 lines/s while the TUI's memory is sampled
    tui_output_s: float  # how long they print (the memory window)
    catch_up_records: int  # receipts appended while the supervisor is down, folded when it starts
    store_repeats: int  # rounds of rebuild/verify, cold starts and catch-ups

    @classmethod
    def make(cls, quick: bool) -> Profile:
        if quick:
            return cls(
                quick=True,
                workers=10,
                window_s=4.0,
                windows=3,
                status_samples=15,
                baseline_status_samples=8,
                repo_files=2_000,
                dispatch_runs=3,
                single_appends=1_000,
                peer_appends=300,
                procs=8,
                appends_per_proc=500,
                ledger_records=100_000,
                small_ledger_records=25_000,
                repeats=3,
                multi_repeats=2,
                tui_paint_repeats=3,
                tui_workers=10,
                tui_output_s=15.0,
                catch_up_records=10_000,
                store_repeats=2,
            )
        return cls(
            quick=False,
            workers=50,
            window_s=60.0,
            windows=3,
            status_samples=100,
            baseline_status_samples=40,
            repo_files=20_000,
            dispatch_runs=5,
            single_appends=5_000,
            peer_appends=1_000,
            procs=8,
            appends_per_proc=500,
            ledger_records=1_000_000,
            small_ledger_records=100_000,
            repeats=5,
            multi_repeats=5,
            tui_paint_repeats=7,
            tui_workers=50,
            tui_output_s=60.0,
            catch_up_records=100_000,
            store_repeats=3,
        )


@dataclass
class Check:
    text: str  # the target, in words: "p95 < 250 ms"
    ok: bool


@dataclass
class Figure:
    """One measured figure: cockpit's median, the baseline's median, their ratio, the targets."""

    name: str
    title: str
    unit: str
    value: float
    samples: list[float]
    baseline_label: str = ""
    baseline: float | None = None
    baseline_samples: list[float] = field(default_factory=list)
    ratio: float | None = None
    ratio_text: str = ""  # what the ratio means: "x less CPU than the baseline"
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        return None if not self.checks else all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["met"] = self.met
        return out


@dataclass
class SkippedFigure:
    name: str
    reason: str


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (pct in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    magnitude = abs(value)
    text = (
        f"{value:,.0f}"
        if magnitude >= 1000
        else f"{value:.1f}"
        if magnitude >= 10
        else f"{value:.2f}"
        if magnitude >= 0.1
        else f"{value:.3f}"
        if magnitude >= 0.001
        else f"{value:.1e}"
    )
    return f"{text} {unit}".strip()


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(*argv: str) -> str:
        try:
            return subprocess.run(argv, check=False, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "missing"

    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "git": version("git", "--version"),
        "tmux": version("tmux", "-V"),
    }


def render_table(figures: list[Figure], skipped: list[SkippedFigure]) -> str:
    header = ("figure", "cockpit", "baseline", "ratio", "targets")
    rows: list[tuple[str, ...]] = []
    for f in figures:
        baseline = f"{fmt(f.baseline, f.unit)} ({f.baseline_label})" if f.baseline is not None else "-"
        ratio = f"{fmt(f.ratio)}x {f.ratio_text}".strip() if f.ratio is not None else "-"
        targets = "; ".join(f"{c.text}: {'met' if c.ok else 'MISSED'}" for c in f.checks) or "(none)"
        rows.append((f.title, fmt(f.value, f.unit), baseline, ratio, targets))
    for s in skipped:
        rows.append((s.name, "skipped", "-", "-", s.reason))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]))
        if row is header:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 7)
    return "\n".join(lines)


def write_json(
    path: Path, profile: Profile, figures: list[Figure], skipped: list[SkippedFigure], started: datetime, notes: list[str]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "format": "cockpit-benchmarks/1",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if profile.quick else "full",
        "profile": asdict(profile),
        "machine": machine(),
        "notes": notes,
        "figures": [f.to_json() for f in figures],
        "skipped": [asdict(s) for s in skipped],
        "all_targets_met": all(f.met is not False for f in figures),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
