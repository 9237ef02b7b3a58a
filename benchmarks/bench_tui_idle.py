"""Figure 5c: the TUI's CPU while idle, after attaching to a worker and detaching again.

`cockpit ui` runs in a terminal of its own (tui_term.Terminal) on a sandbox whose one worker
waits at a question. The operator attaches to it (Enter) and detaches (C-b d), which
suspends the TUI and brings it back; then nothing changes on screen. Over the same windows
the baseline (`benchmarks/baseline_tui.py`, the smallest Textual app) sits open beside it,
so the ratio is what cockpit adds to any idle Textual app. Idle means idle: a TUI that
keeps repainting or polling after a resume shows here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from benchmarks.core import Check, Figure, Profile, median
from benchmarks.fleet import Log
from benchmarks.procstat import tree_cpu_seconds
from benchmarks.sandbox import sandbox
from benchmarks.tui_term import OpenTui, Terminal, alive, sandbox_env

IDLE_TARGET_CPU_S_PER_MIN = 6.0  # a tenth of one core
SETTLE_S = 1.0
BASELINE_APP = Path(__file__).resolve().parent / "baseline_tui.py"


def run(profile: Profile, *, workdir: Path | None = None, keep: bool = False) -> list[Figure]:
    log = Log("tui-idle")
    window = min(profile.window_s, 10.0)
    with sandbox("tui-idle", workdir=workdir, keep=keep) as box, Terminal() as term:
        box.start_supervisor()
        worker = box.dispatch("@fake ask Continue?")["id"]
        box.wait(worker, "waiting")
        tui = OpenTui(term, box)
        tui.open()
        assert tui.app is not None
        base = term.launch([sys.executable, str(BASELINE_APP)], cwd=box.repo, env=sandbox_env(box))
        term.wait_screen(base, {"board": lambda s: "baseline task" in s}, timeout=60)
        term.wait_screen(tui.app, {"pane": lambda s: "Continue? [y/n]" in s}, timeout=60)
        term.keys(tui.app.name, "Enter")  # attach: the TUI suspends, the worker's own tmux client runs
        term.wait_screen(tui.app, {"attached": lambda s: f"cockpit: {worker}" in s}, timeout=60)
        term.keys(tui.app.name, "C-b", "d")  # detach: the TUI comes back
        term.wait_screen(tui.app, {"back": lambda s: "? WAITING" in s and "● connected" in s}, timeout=60)
        time.sleep(SETTLE_S)
        ours: list[float] = []
        theirs: list[float] = []
        for n in range(profile.windows):
            mine, other = tree_cpu_seconds([tui.pid]), tree_cpu_seconds([base.pid])
            started = time.monotonic()
            time.sleep(window)
            elapsed = time.monotonic() - started
            if not (alive(tui.pid) and alive(base.pid)):
                raise RuntimeError("the TUI or the baseline app exited while idle: " + term.screen(tui.app.name)[-800:])
            ours.append((tree_cpu_seconds([tui.pid]) - mine) / elapsed * 60)
            theirs.append((tree_cpu_seconds([base.pid]) - other) / elapsed * 60)
            log(f"window {n + 1}/{profile.windows}: cockpit {ours[-1]:.2f}, baseline {theirs[-1]:.2f} CPU-s/min")
        tui.close()
        term.close_app(base)
    value, baseline = median(ours), median(theirs)
    return [
        Figure(
            name="tui_idle_cpu",
            title="TUI idle CPU after attach and detach",
            unit="CPU-s/min",
            value=value,
            samples=ours,
            baseline_label="minimal Textual app, same windows",
            baseline=baseline,
            baseline_samples=theirs,
            ratio=value / baseline if baseline else None,
            ratio_text="the minimal app's CPU",
            checks=[Check(f"< {IDLE_TARGET_CPU_S_PER_MIN:g} CPU-s/min", value < IDLE_TARGET_CPU_S_PER_MIN)],
            notes=[
                f"`cockpit ui` (160x45 tmux terminal) with one worker waiting at a question, after Enter "
                f"(attach) and C-b d (detach); {profile.windows} windows of {window:g} s, the baseline "
                "app open beside it over the same windows"
            ],
            extra={"window_s": window},
        )
    ]
