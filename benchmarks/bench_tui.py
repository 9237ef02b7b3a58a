"""Figure 5: the TUI, in a real terminal. First paint with a large history; memory under heavy output.

Both run `cockpit ui` in a session of a private tmux server (tui_term.Terminal, 160x45) and
read the screen back with `capture-pane`, as the operator would see it. The baseline is
`benchmarks/baseline_tui.py`, the smallest Textual app that paints a line and a one-row
table, launched the same way in the same terminal.

  * first paint: a ledger of `ledger_records` receipts (bench_ledger.generate) plus 200
    finished dispatches; the store is caught up with `cockpit state rebuild` and the
    supervisor is running before any launch is timed (the fold is figure 6, bench_store).
    From the spawn to the first capture that shows the workers table with the oldest
    dispatch's title in it. Launches alternate cockpit / baseline after one warm-up of each.
  * memory: interactive fake agents, all told `@fake lines N 100` at once (100 lines/s
    each), with the TUI open and a worker selected (its live pane follows the output) and the
    selection moved every few seconds; VmRSS of the TUI and of the baseline app (open beside
    it over the same window) every 0.5 s; peak = VmHWM at the end.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_ledger import generate
from benchmarks.core import Check, Figure, Profile, median
from benchmarks.fleet import Fleet, Log
from benchmarks.procstat import peak_rss_bytes, tree_cpu_seconds
from benchmarks.sandbox import Sandbox, sandbox
from benchmarks.tui_term import (
    Launched,
    OpenTui,
    Terminal,
    alive,
    rss_bytes,
    sandbox_env,
)

HISTORY_DISPATCHES = 200
FIRST_TITLE = "history task 000"
PAINT_TARGET_S = 1.0
MEMORY_TARGET_MB = 250
FLAT_TOLERANCE = 0.10
LINES_PER_S = 100
SAMPLE_S = 0.5
BASELINE_APP = Path(__file__).resolve().parent / "baseline_tui.py"
MB = 1024 * 1024


def run(profile: Profile, *, workdir: Path | None = None, keep: bool = False) -> list[Figure]:
    log = Log("tui")
    from benchmarks import bench_tui_idle, bench_tui_pane

    figures = first_paint(profile, workdir, keep, log)
    figures.append(memory(profile, workdir, keep, log))
    figures += bench_tui_idle.run(profile, workdir=workdir, keep=keep)
    figures += bench_tui_pane.run(profile, workdir=workdir, keep=keep)
    return figures


def baseline_argv() -> list[str]:
    return [sys.executable, str(BASELINE_APP)]


# -- history: 200 finished dispatches, shaped like the supervisor's receipts -----------------


def history_entries(count: int) -> list[Any]:
    """Receipts of `count` finished dispatches: created .. exited, diff, gates, review."""
    from cockpit.domain.dispatch import make_id
    from cockpit.ledger import Entry

    first_millis = int(time.time() * 1000) - count * 60_000
    entries = []
    for i in range(count):
        did = make_id(first_millis + i * 60_000, i)
        failed = i % 5 == 4
        sha = f"{i:064x}"
        entries += [
            Entry(
                "dispatch_created",
                "bench",
                did,
                {
                    "title": f"{FIRST_TITLE[:-3]}{i:03d}: tidy module {i}",
                    "provider": "fake",
                    "mode": "headless",
                    "base_ref": "HEAD",
                    "base_commit": "0" * 40,
                    "branch": f"cockpit/{did}",
                    "priority": 0,
                    "prompt_bytes": 40,
                    "prompt_sha256": sha,
                    "risk": "medium",
                    "target": "main",
                    "worktree": f"/nonexistent/worktrees/{did}",
                    "task": {"risk": "medium"},
                },
            ),
            Entry(
                "worktree_created",
                "supervisor",
                did,
                {"base_commit": "0" * 40, "branch": f"cockpit/{did}", "worktree": f"/nonexistent/worktrees/{did}"},
            ),
            Entry("worker_started", "supervisor", did, {"session": did, "mode": "headless"}),
            Entry("prompt_delivered", "supervisor", did, {"bytes": 40, "sha256": sha, "via": "stdin"}),
            Entry("usage", "supervisor", did, {"input_tokens": 1200 * i, "output_tokens": 300 * i, "cost_micro_usd": 900 * i}),
            Entry("exited", "supervisor", did, {"code": 0}),
            Entry("diff_stat", "supervisor", did, {"added": 3 * i, "removed": i, "files": 1 + i % 7}),
            Entry("review_changed", "supervisor", did, {"to": "gating", "gates": ["tests"], "diff_sha256": sha}),
            Entry("gate_started", "supervisor", did, {"gate": "tests", "kind": "command", "diff_sha256": sha}),
            Entry(
                "gate_result",
                "supervisor",
                did,
                {
                    "gate": "tests",
                    "kind": "command",
                    "status": "failed" if failed else "passed",
                    "exit_code": 1 if failed else 0,
                    "diff_sha256": sha,
                    "duration_ms": 3200,
                    "summary": "2 failed, 410 passed" if failed else "412 passed",
                    "findings": [],
                },
            ),
            Entry(
                "review_changed",
                "supervisor",
                did,
                {"to": "changes_requested" if failed else "awaiting_approval", "blockers": [], "findings": []},
            ),
        ]
    return entries


def build_history(box: Sandbox, records: int, log: Log) -> int:
    """The sandbox's ledger: `records` receipts of a busy repository, then the dispatches; returns bytes."""
    from cockpit.ledger import Ledger

    started = time.monotonic()
    directory = box.ws.state.ledger_dir
    generate(directory, records)
    with Ledger(directory) as ledger:
        ledger.append_many(history_entries(HISTORY_DISPATCHES))
    size = (directory / "ledger.ndjson").stat().st_size
    log(
        f"ledger of {records:,} records + {HISTORY_DISPATCHES} dispatches ({size / 1e6:.0f} MB) "
        f"in {time.monotonic() - started:.1f} s"
    )
    return size


# -- first paint -----------------------------------------------------------------------------------


def _launch(term: Terminal, box: Sandbox, cockpit: bool) -> Launched:
    argv = [sys.executable, "-m", "cockpit", "ui"] if cockpit else baseline_argv()
    return term.launch(argv, cwd=box.repo, env=sandbox_env(box))


def _paint_once(term: Terminal, box: Sandbox, cockpit: bool) -> tuple[float, float]:
    """(first frame, board with rows) in seconds from the spawn, for cockpit or the baseline app."""
    app = _launch(term, box, cockpit)
    try:
        if cockpit:
            marks = {"frame": lambda s: " cockpit " in s, "board": lambda s: "STATE" in s and FIRST_TITLE in s}
        else:
            marks = {"frame": lambda s: "hello" in s, "board": lambda s: "STATE" in s and "baseline task" in s}
        seen = term.wait_screen(app, marks, timeout=60)
        return seen["frame"], seen["board"]
    finally:
        term.close_app(app)


def first_paint(profile: Profile, workdir: Path | None, keep: bool, log: Log) -> list[Figure]:
    records = profile.ledger_records
    with sandbox("tui-paint", workdir=workdir, keep=keep) as box:
        size = build_history(box, records, log)
        box.cli("state", "rebuild")  # the store's figures are benchmarks/bench_store.py's
        box.start_supervisor()
        ours: list[float] = []
        theirs: list[float] = []
        frames: list[float] = []
        base_frames: list[float] = []
        with Terminal() as term:
            warm = (_paint_once(term, box, True)[1], _paint_once(term, box, False)[1])
            for r in range(profile.tui_paint_repeats):
                for cockpit in (True, False) if r % 2 == 0 else (False, True):
                    frame, board = _paint_once(term, box, cockpit)
                    (frames if cockpit else base_frames).append(frame * 1000)
                    (ours if cockpit else theirs).append(board * 1000)
                log(f"launch {r + 1}/{profile.tui_paint_repeats}: cockpit {ours[-1]:.0f} ms, baseline {theirs[-1]:.0f} ms")
    value, base = median(ours), median(theirs)
    return [
        Figure(
            name="tui_first_paint",
            title=f"TUI first paint, {records:,} records",
            unit="ms",
            value=value,
            samples=ours,
            baseline_label="minimal Textual app",
            baseline=base,
            baseline_samples=theirs,
            ratio=value / base,
            ratio_text="the minimal app's time",
            checks=[Check(f"< {PAINT_TARGET_S:g} s", value < PAINT_TARGET_S * 1000)],
            notes=[
                (
                    f"`cockpit ui` in a 160x45 tmux terminal, {records:,} receipts and {HISTORY_DISPATCHES} "
                    "dispatches in history, supervisor running, store caught up first; from the spawn to the "
                    "first capture-pane (every 10 ms) showing the workers table with the oldest dispatch"
                ),
                (
                    f"first frame (top bar) {median(frames):.0f} ms; baseline's first frame "
                    f"{median(base_frames):.0f} ms; warm-up launches (not counted): cockpit {warm[0] * 1000:.0f} ms, "
                    f"baseline {warm[1] * 1000:.0f} ms"
                ),
            ],
            extra={
                "records": records,
                "dispatches": HISTORY_DISPATCHES,
                "ledger_bytes": size,
                "first_frame_ms": frames,
                "baseline_first_frame_ms": base_frames,
                "warmup_ms": [warm[0] * 1000, warm[1] * 1000],
            },
        ),
    ]


# -- memory under heavy output -----------------------------------------------------------------


def _lines_printed(box: Sandbox, ids: list[str], count: int) -> int:
    """How many of its `count` lines each worker has printed so far (from its log's tail), summed."""
    pattern = re.compile(rf"line (\d+) of {count}\b".encode())
    total = 0
    for dispatch_id in ids:
        path = box.ws.state.log(dispatch_id)
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 8192))
            found = pattern.findall(handle.read())
        total += int(found[-1]) if found else 0
    return total


def _peak_of(samples: list[float]) -> float:
    return max(samples) if samples else 0.0


def slope_per_minute(samples: list[float], every_s: float) -> float:
    """Least-squares slope of evenly spaced samples, in units per minute."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(samples) / n
    num = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(samples))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den / every_s * 60


def memory(profile: Profile, workdir: Path | None, keep: bool, log: Log) -> Figure:
    workers, seconds = profile.tui_workers, profile.tui_output_s
    count = int(LINES_PER_S * seconds)
    switch_every = 5.0 if seconds >= 30 else 3.0
    with sandbox("tui-memory", max_workers=60, workdir=workdir, keep=keep) as box, Terminal() as term:
        fleet = Fleet(box, workers, log)
        fleet.start()
        tui = OpenTui(term, box)
        opened = tui.open()
        base = _launch(term, box, cockpit=False)
        term.wait_screen(base, {"board": lambda s: "baseline task" in s}, timeout=30)
        assert tui.app is not None
        term.wait_screen(tui.app, {"selected": lambda s: "output: " in s}, timeout=30)  # the pane follows one
        log(f"TUI open after {opened:.2f} s; {workers} workers told to print {count} lines at {LINES_PER_S}/s")
        for dispatch_id in fleet.ids:
            fleet.type_text(dispatch_id, f"@fake lines {count} {LINES_PER_S}")
        cpu_before = tree_cpu_seconds([tui.pid])
        for dispatch_id in fleet.ids:
            fleet.press(dispatch_id, "Enter")
        started = time.monotonic()
        ours: list[float] = []
        theirs: list[float] = []
        moves = 0
        next_switch = started + switch_every
        while (now := time.monotonic()) < started + seconds:
            mine, other = rss_bytes(tui.pid), rss_bytes(base.pid)
            if mine is None or other is None:
                raise RuntimeError(
                    "the TUI or the baseline app exited during the memory window: " + term.screen(tui.app.name)[-800:]
                )
            ours.append(mine / MB)
            theirs.append(other / MB)
            if now >= next_switch:
                term.keys(tui.app.name, "Down" if (moves // 4) % 2 == 0 else "Up")
                moves += 1
                next_switch += switch_every
            time.sleep(max(0.0, SAMPLE_S - (time.monotonic() - now)))
        elapsed = time.monotonic() - started
        if not (alive(tui.pid) and alive(base.pid)):
            raise RuntimeError("the TUI or the baseline app exited during the memory window")
        cpu = (tree_cpu_seconds([tui.pid]) - cpu_before) / elapsed * 60
        printed = _lines_printed(box, fleet.ids, count)
        screen = term.screen(tui.app.name)
        pane_live = bool(re.search(rf"line \d+ of {count}", screen))
        peak, base_peak = peak_rss_bytes(tui.pid) / MB, peak_rss_bytes(base.pid) / MB
        supervisor_rss = (rss_bytes(box.supervisor.pid) or 0) / MB if box.supervisor else 0.0
        tui.close()
        term.close_app(base)
    third = max(1, len(ours) // 3)
    middle, last = _peak_of(ours[third : 2 * third]), _peak_of(ours[2 * third :])
    flat = last <= middle * (1 + FLAT_TOLERANCE)
    slope = slope_per_minute(ours[third:], SAMPLE_S)  # after start-up: what a longer session would keep adding
    rate = printed / elapsed
    log(
        f"TUI peak {peak:.0f} MB (middle third {middle:.0f}, last third {last:.0f}); baseline {base_peak:.0f} MB; "
        f"{rate:,.0f} lines/s printed in all; TUI CPU {cpu:.1f} CPU-s/min"
    )
    notes = [
        (
            f"{workers} interactive fake agents, each told `@fake lines {count} {LINES_PER_S}` at once, "
            f"{seconds:.0f} s window; the TUI (160x45 terminal) shows the selected worker's live pane and the "
            f"selection moves every {switch_every:.0f} s ({moves} moves); VmRSS every {SAMPLE_S} s, peak is VmHWM"
        ),
        (
            f"flat: last third's peak {last:.0f} MB vs middle third's {middle:.0f} MB "
            f"({(last / middle - 1) * 100 if middle else 0:+.1f}%); RSS slope over the last two thirds "
            f"{slope:+.1f} MB/min"
        ),
        (
            f"the workers printed {rate:,.0f} lines/s in all ({rate / workers:.0f} per worker, asked "
            f"{LINES_PER_S}); TUI CPU {cpu:.1f} CPU-s/min; supervisor RSS {supervisor_rss:.0f} MB"
        ),
    ]
    if not pane_live:
        notes.append("the TUI's pane did not show the selected worker's output at the end of the window")
    return Figure(
        name="tui_memory",
        title=f"TUI peak memory, {workers} workers x {LINES_PER_S} lines/s",
        unit="MB",
        value=peak,
        samples=ours,
        baseline_label="minimal Textual app, same window",
        baseline=base_peak,
        baseline_samples=theirs,
        ratio=peak / base_peak if base_peak else None,
        ratio_text="the minimal app's",
        checks=[
            Check(f"< {MEMORY_TARGET_MB} MB", peak < MEMORY_TARGET_MB),
            Check(f"flat (last third's peak <= +{FLAT_TOLERANCE:.0%} of the middle third's)", flat),
        ],
        notes=notes,
        extra={
            "workers": workers,
            "window_s": elapsed,
            "lines_per_s_total": rate,
            "tui_cpu_s_per_min": cpu,
            "middle_third_peak_mb": middle,
            "last_third_peak_mb": last,
            "slope_mb_per_min": slope,
            "supervisor_rss_mb": supervisor_rss,
            "selection_moves": moves,
            "pane_showed_output": pane_live,
            "tui_open_s": opened,
        },
    )
