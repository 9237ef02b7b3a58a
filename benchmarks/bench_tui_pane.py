"""Figure 5d: how far the TUI's live pane lags a fast worker's log.

One worker prints `@fake lines 3000 100` (100 lines a second); `cockpit ui` (tui_term.Terminal)
has it selected, so its pane follows the output. A sample: read the newest line N the log
holds, then poll the screen every 10 ms until it shows line N or a later one. The baseline is
`tail -n 5 -f` of the same log in a session of the same terminal, sampled the same way in
alternation: what an operator watching the log by hand sees.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from benchmarks.core import Check, Figure, Profile, median
from benchmarks.fleet import Log
from benchmarks.sandbox import sandbox
from benchmarks.tui_term import Launched, OpenTui, Terminal, sandbox_env

TOTAL = 3000
RATE = 100
LAG_TARGET_S = 0.25  # the pane shows what the log has within this (was a test's budget)
LIMIT_S = 30.0


def last_line(text: str) -> int:
    return max((int(n) for n in re.findall(rf"line (\d+) of {TOTAL}", text)), default=0)


def catch_up(term: Terminal, app: Launched, log: Path) -> float:
    """Seconds from the log holding line N to the screen showing line N (or a later one)."""
    with open(log, "rb") as handle:
        handle.seek(max(0, log.stat().st_size - 8192))
        target = last_line(handle.read().decode(errors="replace"))
    seen_at = time.monotonic()
    while time.monotonic() < seen_at + LIMIT_S:
        if last_line(term.screen(app.name)) >= target:
            return time.monotonic() - seen_at
        time.sleep(0.01)
    raise RuntimeError(f"{app.name} never showed line {target} of the log")


def run(profile: Profile, *, workdir: Path | None = None, keep: bool = False) -> list[Figure]:
    log = Log("tui-pane")
    samples = 5 if profile.quick else 15
    with sandbox("tui-pane", workdir=workdir, keep=keep) as box, Terminal() as term:
        box.start_supervisor()
        worker = box.dispatch(f"@fake lines {TOTAL} {RATE}")["id"]
        path = box.ws.state.log(worker)
        tui = OpenTui(term, box)
        tui.open()
        assert tui.app is not None
        tail = term.launch(["tail", "-n", "5", "-f", str(path)], cwd=box.repo, env=sandbox_env(box))
        for app in (tui.app, tail):
            term.wait_screen(app, {"output": lambda s: last_line(s) > 50}, timeout=60)
        ours: list[float] = []
        theirs: list[float] = []
        for n in range(samples):
            for app in (tui.app, tail) if n % 2 == 0 else (tail, tui.app):
                (ours if app is tui.app else theirs).append(catch_up(term, app, path) * 1000)
        log(f"{samples} samples each: cockpit {median(ours):.0f} ms, tail -f {median(theirs):.0f} ms")
        tui.close()
        term.close_app(tail)
    value, baseline = median(ours), median(theirs)
    return [
        Figure(
            name="tui_pane_lag",
            title=f"TUI live pane lag, a worker at {RATE} lines/s",
            unit="ms",
            value=value,
            samples=ours,
            baseline_label="tail -f of the same log",
            baseline=baseline,
            baseline_samples=theirs,
            ratio=value / baseline if baseline else None,
            ratio_text="tail -f's lag",
            checks=[Check(f"< {LAG_TARGET_S * 1000:.0f} ms", value < LAG_TARGET_S * 1000)],
            notes=[
                f"one worker printing `@fake lines {TOTAL} {RATE}`, selected in `cockpit ui` (160x45 tmux "
                f"terminal); {samples} samples each, alternating with `tail -n 5 -f` of its log in the same terminal"
            ],
        )
    ]
