"""Figures 1 and 2: idle CPU and status latency, with a fleet of idle agents, against the peer poller."""

from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks.core import Check, Figure, Profile, median, percentile
from benchmarks.fleet import SETTLE_S, Fleet, Log, cpu_per_minute
from benchmarks.procstat import wait_for
from benchmarks.sandbox import receipt_time, sandbox, settle
from benchmarks.tui_term import OpenTui, Terminal

ONE_PERCENT_OF_A_CORE = 0.6  # CPU seconds per minute
ASK = "@fake ask Proceed?"


def run(profile: Profile, *, idle: bool, status: bool, workdir: Path | None, keep: bool) -> list[Figure]:
    log = Log("fleet")
    figures: list[Figure] = []
    with sandbox("fleet", max_workers=profile.workers + 10, workdir=workdir, keep=keep) as box, Terminal() as term:
        fleet = Fleet(box, profile.workers, log)
        fleet.start()
        fleet.tui = OpenTui(term, box)  # the idle figure: the service layer plus an open TUI
        log(f"TUI open after {fleet.tui.open():.2f} s")
        settle(SETTLE_S)
        if idle:
            figures.append(idle_cpu(profile, fleet, Log("idle")))
        if status:
            figures.append(status_latency(profile, fleet, Log("status")))
    return figures


# -- 1. idle CPU ----------------------------------------------------------------------------


def idle_cpu(profile: Profile, fleet: Fleet, log: Log) -> Figure:
    ours: list[float] = []
    theirs: list[float] = []
    tui: list[float] = []  # the open TUI's share of each cockpit window
    for round_ in range(1, profile.windows + 1):
        tui_before, started = fleet.tui_cpu(), time.monotonic()
        ours.append(cpu_per_minute(fleet.cockpit_cpu, profile.window_s))
        tui.append((fleet.tui_cpu() - tui_before) / (time.monotonic() - started) * 60)
        with fleet.supervisor_down(), fleet.poller() as (proc, _events):
            theirs.append(cpu_per_minute(lambda: fleet.poller_cpu(proc), profile.window_s))
        log(
            f"window {round_}/{profile.windows}: cockpit {ours[-1]:.3f} (TUI {tui[-1]:.3f}), "
            f"peer poller {theirs[-1]:.2f} CPU-s/min"
        )
    fleet.check_alive()
    value, baseline = median(ours), median(theirs)
    floor = max(value, 1e-6)  # an idle supervisor may not run at all in a window
    return Figure(
        name="idle_cpu",
        title=f"idle CPU, {profile.workers} idle workers",
        unit="CPU-s/min",
        value=value,
        samples=ours,
        baseline_label="peer poller, 500 ms",
        baseline=baseline,
        baseline_samples=theirs,
        ratio=baseline / floor,
        ratio_text="less CPU",
        checks=[
            Check(">= 80x less than the baseline", baseline / floor >= 80),
            Check(f"< {ONE_PERCENT_OF_A_CORE} CPU-s/min (1% of a core)", value < ONE_PERCENT_OF_A_CORE),
        ],
        notes=[
            (
                "cockpit: supervisor tree + tmux server + log pipes + an open `cockpit ui` (160x45 terminal); "
                "baseline: poller tree + tmux server"
            ),
            "the TUI is closed while the poller runs (its client would restart the supervisor) and reopened",
            (
                f"of which the open TUI: {median(tui):.2f} CPU-s/min; service layer alone: "
                f"{median([o - t for o, t in zip(ours, tui, strict=True)]):.2f} CPU-s/min"
            ),
        ],
        extra={"window_s": profile.window_s, "workers": profile.workers, "tui_cpu_s_per_min": tui},
    )


# -- 2. status latency -----------------------------------------------------------------------


def _ask(fleet: Fleet, dispatch_id: str) -> float:
    """Type the ask directive, let the echo settle, then press Enter; returns the wall time of Enter."""
    fleet.type_text(dispatch_id, ASK)
    time.sleep(0.4)  # the echo's own screen check comes and goes before the clock starts
    started = time.time()
    fleet.press(dispatch_id, "Enter")
    return started


def _answer_and_wait_for_prompt(fleet: Fleet, dispatch_id: str) -> None:
    fleet.press(dispatch_id, "y")
    wait_for(lambda: fleet.last_line(dispatch_id).rstrip() == ">", 20, what=f"{dispatch_id} to be idle again")


def _waiting_receipt_time(fleet: Fleet, dispatch_id: str, after_seq: int) -> float:
    for receipt in reversed(fleet.box.receipts(400)):
        if (
            receipt.seq > after_seq
            and receipt.dispatch == dispatch_id
            and receipt.kind == "status_changed"
            and receipt.data.get("to") == "waiting"
        ):
            return receipt_time(receipt.ts)
    raise AssertionError(f"no status_changed -> waiting receipt for {dispatch_id}")


def status_latency(profile: Profile, fleet: Fleet, log: Log) -> Figure:
    box = fleet.box
    ours: list[float] = []
    for i in range(profile.status_samples):
        dispatch_id = fleet.ids[i % len(fleet.ids)]
        head = box.receipts(1)[-1].seq
        started = _ask(fleet, dispatch_id)
        box.wait(dispatch_id, "waiting", timeout=20)
        ours.append((_waiting_receipt_time(fleet, dispatch_id, head) - started) * 1000)
        _answer_and_wait_for_prompt(fleet, dispatch_id)
        box.wait(dispatch_id, "idle", timeout=20)
    log(f"cockpit: median {median(ours):.0f} ms, p95 {percentile(ours, 95):.0f} ms over {len(ours)} prompts")

    theirs: list[float] = []
    with fleet.supervisor_down(), fleet.poller(detect=True) as (_proc, events):
        for i in range(profile.baseline_status_samples):
            dispatch_id = fleet.ids[i % len(fleet.ids)]
            started = _ask(fleet, dispatch_id)

            def seen(dispatch_id: str = dispatch_id, started: float = started) -> float | None:
                for line in events.read_text().splitlines():
                    event = json.loads(line)
                    if event["session"] == dispatch_id and event["t"] > started:
                        return float(event["t"])
                return None

            wait_for(lambda: seen() is not None, 30, step=0.01, what="the peer poller to notice the prompt")
            theirs.append((seen() - started) * 1000)  # type: ignore[operator]
            _answer_and_wait_for_prompt(fleet, dispatch_id)
            time.sleep(0.6)  # the poller sees the answered screen before the next prompt
    fleet.check_alive()
    log(f"peer poller: median {median(theirs):.0f} ms, p95 {percentile(theirs, 95):.0f} ms over {len(theirs)}")

    p95, base_p95 = percentile(ours, 95), percentile(theirs, 95)
    return Figure(
        name="status_latency",
        title=f"status latency p95, {profile.workers} workers",
        unit="ms",
        value=p95,
        samples=ours,
        baseline_label="peer poller p95",
        baseline=base_p95,
        baseline_samples=theirs,
        ratio=base_p95 / p95 if p95 else None,
        ratio_text="faster",
        checks=[Check("p95 < 250 ms", p95 < 250)],
        notes=[
            (
                "from Enter on a prompt that makes the agent print a [y/n] question to the store's "
                "status_changed -> waiting receipt (its timestamp); the agent's own reaction time is included"
            ),
            f"cockpit median {median(ours):.0f} ms; peer poller median {median(theirs):.0f} ms",
        ],
        extra={"median_ms": median(ours), "baseline_median_ms": median(theirs)},
    )
