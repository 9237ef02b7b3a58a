"""Figure 5: the TUI. Time to first paint with a large history, and peak memory under heavy output.

TODO(tui): the Textual app (cockpit/ui) is still being built and `cockpit ui` is not wired
into the CLI yet, so these figures are reported as skipped. When it lands, measure here:
  * first paint: generate a 1,000,000-record ledger (bench_ledger.generate) plus 200
    dispatches in the store, start `cockpit ui` in a pane of a private tmux server
    (its own `-L` socket, 200x50), and time from the exec to the first capture-pane that
    shows the board (target < 1 s; ratio against `cockpit receipts tail -n 50` on the same state);
  * peak memory: 50 workers printing `@fake lines 6000 100` (100 lines/s for a minute) with
    the TUI open; sample VmRSS of the TUI process every second (procstat.peak_rss_bytes at the
    end for VmHWM); target < 250 MB, and flat (the last 20 s within 10% of the first 20 s);
  * and add the TUI's pid to Fleet.cockpit_cpu for figure 1 (service layer + an open TUI).
"""

from __future__ import annotations

from benchmarks.core import Profile, Skipped


def tui_available() -> bool:
    from cockpit.cli import build_parser

    parser = build_parser()
    commands = next((a.choices for a in parser._actions if getattr(a, "choices", None)), {})
    return "ui" in (commands or {})


def run(profile: Profile) -> None:
    state = "is registered but not benchmarked yet" if tui_available() else "is not wired into the CLI yet"
    raise Skipped(f"`cockpit ui` {state} (cockpit/ui in progress): TODO(tui) in benchmarks/bench_tui.py")
