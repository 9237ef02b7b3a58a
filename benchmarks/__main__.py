"""python -m benchmarks [--quick] [--only NAME ...] [--json PATH] [--strict] [--keep] [--workdir DIR]"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.core import (
    Figure,
    Profile,
    Skipped,
    SkippedFigure,
    render_table,
    write_json,
)

NAMES = ("idle", "status", "dispatch", "ledger", "store", "tui", "claude", "hosts")
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes and shorter windows (CI smoke test, under 2 minutes)")
    parser.add_argument(
        "--only", action="append", choices=NAMES, metavar="NAME", help=f"run only this benchmark (repeatable): {', '.join(NAMES)}"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        metavar="PATH",
        help="where to write the results (default benchmarks/results/latest.json)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the sandboxes (for a post-mortem)")
    parser.add_argument("--workdir", type=Path, help="where sandboxes go (default: the system temp dir)")
    return parser.parse_args(argv)


def preflight() -> None:
    missing = [tool for tool in ("git", "tmux", "sha256sum", "tail") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"benchmarks: missing tools: {', '.join(missing)}")
    if not Path("/proc/self/stat").exists():
        sys.exit("benchmarks: /proc is needed for CPU accounting (Linux only)")


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    preflight()
    wanted = set(args.only or NAMES)
    profile = Profile.make(args.quick)
    started, clock = datetime.now(UTC), time.monotonic()
    figures: list[Figure] = []
    skipped: list[SkippedFigure] = []
    failed: list[str] = []
    notes = []
    if args.quick:
        notes.append(
            f"--quick: {profile.workers} workers (not 50), {profile.window_s:.0f} s CPU windows, "
            f"a {profile.repo_files}-file repository (not 20,000), a {profile.ledger_records:,}-record "
            f"ledger (not 1,000,000) and {profile.catch_up_records:,} receipts to catch up (not 100,000), {profile.tui_workers} workers printing for {profile.tui_output_s:.0f} s "
            "under the TUI (not 50 for 60 s); the targets are the full run's"
        )
    if os.cpu_count():
        notes.append(f"{os.cpu_count()} cores; other load on the machine is not controlled")

    from benchmarks import bench_claude, bench_dispatch, bench_fleet, bench_hosts, bench_ledger, bench_store, bench_tui

    steps = []
    if wanted & {"idle", "status"}:
        steps.append(
            (
                "idle+status",
                lambda: bench_fleet.run(
                    profile, idle="idle" in wanted, status="status" in wanted, workdir=args.workdir, keep=args.keep
                ),
            )
        )
    if "dispatch" in wanted:
        steps.append(("dispatch", lambda: bench_dispatch.run(profile, workdir=args.workdir, keep=args.keep)))
    if "ledger" in wanted:
        steps.append(("ledger", lambda: bench_ledger.run(profile, workdir=args.workdir, keep=args.keep)))
    if "store" in wanted:
        steps.append(("store", lambda: bench_store.run(profile, workdir=args.workdir, keep=args.keep)))
    if "tui" in wanted:
        steps.append(("tui", lambda: bench_tui.run(profile, workdir=args.workdir, keep=args.keep)))
    if "claude" in wanted:
        steps.append(("claude", lambda: bench_claude.run(profile, workdir=args.workdir, keep=args.keep)))
    if "hosts" in wanted:
        steps.append(("hosts", lambda: bench_hosts.run(profile, workdir=args.workdir, keep=args.keep)))
    for name, step in steps:
        try:
            figures.extend(step() or [])
        except Skipped as exc:
            skipped.append(SkippedFigure(name, str(exc)))
        except Exception as exc:  # noqa: BLE001 (one broken benchmark must not hide the others' figures)
            traceback.print_exc()
            failed.append(name)
            skipped.append(SkippedFigure(name, f"FAILED: {type(exc).__name__}: {exc}"))
    elapsed = time.monotonic() - clock
    print(f"cockpit benchmarks ({'quick' if args.quick else 'full'}), {started:%Y-%m-%d %H:%M} UTC, {elapsed:.0f} s")
    for note in notes:
        print(f"note: {note}")
    print()
    print(render_table(figures, skipped))
    for figure in figures:
        for note in figure.notes:
            print(f"  {figure.name}: {note}")
    missed = [f.name for f in figures if f.met is False]
    print()
    print(f"targets missed: {', '.join(missed)}" if missed else "every measured target was met")
    notes.append(f"run took {elapsed:.0f} s")
    write_json(args.json, profile, figures, skipped, started, notes)
    print(f"results: {args.json}")
    if failed:
        return 1
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
