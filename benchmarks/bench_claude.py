"""Figure 6: status latency with the real claude (2.1.197), hooks vs screens, in the same run.

Two interactive claude workers against the scripted model service: `claude` as the catalog
ships it (hooks through --settings) and `claude-screens`, the same entry without signals,
so only its screen is read. Each cycle: a prompt makes the model ask for a shell command;
the clock starts when the service has finished streaming that turn and stops at the
`status_changed -> waiting` receipt; then `cockpit send --key y` answers, and the clock runs
from the `answered` receipt to the next `status_changed -> working`. The workers alternate,
so both see the same machine load.

The hooks worker's two real signs are timed too, in the same run: when claude's
`PermissionRequest` hook line reaches the signals file and when the dialog's question
reaches the log (the bytes tmux draws); cockpit records `waiting` from whichever it sees
first, so its own share is the receipt minus the first of the two.
"""

from __future__ import annotations

import collections
import json
import os
import re
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from benchmarks.core import Check, Figure, Profile, Skipped, percentile
from benchmarks.sandbox import receipt_time
from cockpit.domain.provider import strip_ansi

TARGET_MS = 100.0


def _binary() -> Path:
    cache = Path(os.environ.get("COCKPIT_CLI_CACHE") or Path.home() / ".cache" / "cockpit" / "agent-clis")
    path = cache / "npm" / "node_modules" / ".bin" / "claude"
    if not path.exists():
        raise Skipped(f"claude is not installed at {path} (python tests/conformance/install_clis.py)")
    return path


def _scenario(cycles: int) -> Any:
    from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage

    turns = []
    for i in range(cycles):
        command = f"python3 -c \"open('bench-{i}.txt', 'w').write('{i}')\""
        turns += [
            Turn(kind="shell", command=command, text="Running it.", usage=TurnUsage(input_tokens=100, output_tokens=10)),
            Turn(kind="text", text=f"Done {i}.", usage=TurnUsage(input_tokens=120, output_tokens=5)),
        ]
    return Scenario(name="bench-claude", turns=turns)


def _screens_only(run: Any) -> None:
    """Add `claude-screens`: the shipped claude entry without its signals."""
    from cockpit.runtime.providers import load_catalog

    path = run.repo / ".cockpit" / "providers.yaml"
    data = yaml.safe_load(path.read_text())
    entry = load_catalog(None).get("claude").model_dump(mode="json", exclude={"signals"})
    entry.update(name="claude-screens", binary=str(run.binary), env=data["providers"]["claude"]["env"])
    data["providers"]["claude-screens"] = entry
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


def _after(run: Any, did: str, seq: int, test: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for r in run.receipts(did):
            if r.seq > seq and test(r):
                return r
        time.sleep(0.02)
    seen = [(r.seq, r.kind, r.data.get("to"), r.data.get("source")) for r in run.receipts(did)][-8:]
    raise AssertionError(f"{did}: no receipt after seq {seq} within {timeout} s; last {seen}; screen:\n{run.screen(did)}")


DIALOG = re.compile(r"Do\s+you\s+want\s+to\s+(?:proceed|make\s+this\s+edit|create)")
CURSOR_MOVES = re.compile(r"\x1b\[\d*[CG]")  # claude draws spaces as cursor moves


class Tail:
    """When each new piece of a file appeared (polled every 2 ms): what claude did, when,
    so each path's latency and cockpit's own share can be told apart. `signals`: the time
    each hook line was written; `dialog`: each time the permission dialog's question
    reached the log (the bytes tmux drew: the screen path's own start)."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path, self.kind, self.stop = path, kind, threading.Event()
        self.lines: list[tuple[float, str]] = []
        self.dialog: list[float] = []
        self.output: list[float] = []  # each poll that found new bytes (the log only)
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _poll(self) -> None:
        offset, carry = 0, ""
        while not self.stop.is_set():
            try:
                with open(self.path, "rb") as handle:
                    handle.seek(offset)
                    data = handle.read()
            except FileNotFoundError:
                data = b""
            now = time.time()
            if self.kind == "signals" and data.endswith(b"\n"):
                offset += len(data)
                self.lines += [(now, json.loads(line).get("event")) for line in data.splitlines() if line.strip()]
            elif self.kind == "log" and data:
                offset += len(data)
                self.output.append(now)
                text = carry + strip_ansi(CURSOR_MOVES.sub(" ", data.decode("utf-8", "replace")))
                if DIALOG.search(text):
                    self.dialog.append(now)
                    text = ""
                carry = text[-200:]
            time.sleep(0.002)

    def first_after(self, start: float, event: str | None = None) -> float | None:
        found = [t for t, e in self.lines if e == event] if event else self.dialog
        return next((t for t in found if t >= start), None)

    def first_output_after(self, start: float) -> float | None:
        return next((t for t in self.output if t >= start), None)


def _status(to: str) -> Any:
    return lambda r: r.kind == "status_changed" and r.data.get("to") == to


@dataclass
class Sample:
    wait_ms: float  # model turn done -> waiting receipt
    work_ms: float  # answered receipt -> working receipt
    seq: int  # the idle receipt that ended the cycle
    waiting_source: str
    working_source: str
    waiting_receipts: int  # status_changed -> waiting receipts in the cycle (must be 1)
    hook_ms: float | None  # model turn done -> PermissionRequest line written
    drawn_ms: float | None  # model turn done -> the dialog's question in the log
    own_ms: float | None  # the first of those two -> the receipt: cockpit's own share
    redraw_ms: float | None  # answered receipt -> claude's first redraw after the keys (its own time)
    work_own_ms: float | None  # that redraw -> the working receipt: cockpit's own share of the answer


def _cycle(run: Any, did: str, prompt: str | None, seq: int, signals: Tail | None, log: Tail) -> Sample:
    if prompt is not None:
        out = run.cockpit("send", did, prompt)
        assert out.returncode == 0, out.stderr
    waiting = _after(run, did, seq, _status("waiting"))
    at = receipt_time(waiting.ts)
    done = [t for t in run.service.service.turn_done if t <= at + 1.0][-1]
    sent = run.cockpit("send", did, "--key", "y")
    assert sent.returncode == 0, sent.stderr
    answered = _after(run, did, waiting.seq, lambda r: r.kind == "answered")
    working = _after(run, did, answered.seq, _status("working"))
    idle = _after(run, did, working.seq, _status("idle"))
    waits = [r for r in run.receipts(did) if seq < r.seq <= idle.seq and _status("waiting")(r)]
    hook = signals.first_after(done, "PermissionRequest") if signals is not None else None
    drawn = log.first_after(done)
    first = min((t for t in (hook, drawn) if t is not None), default=None)
    # the keys go in just before the `answered` receipt is written; claude takes longer than that to redraw
    redraw = log.first_output_after(receipt_time(answered.ts))
    worked = receipt_time(working.ts)
    return Sample(
        wait_ms=(at - done) * 1000,
        work_ms=(receipt_time(working.ts) - receipt_time(answered.ts)) * 1000,
        seq=idle.seq,
        waiting_source=str(waiting.data.get("source")),
        working_source=str(working.data.get("source")),
        waiting_receipts=len(waits),
        hook_ms=(hook - done) * 1000 if hook else None,
        drawn_ms=(drawn - done) * 1000 if drawn else None,
        own_ms=(at - first) * 1000 if first else None,
        redraw_ms=(redraw - receipt_time(answered.ts)) * 1000 if redraw else None,
        work_own_ms=(worked - redraw) * 1000 if redraw else None,
    )


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.0f} / p95 {percentile(values, 95):.0f} ms" if values else "no samples"


def run(profile: Profile, *, workdir: Path | None = None, keep: bool = False) -> list[Figure]:
    from cockpit.modelservice.profile_base import Case
    from cockpit.service.conformance import Run

    cycles = 6 if profile.quick else 25
    case = Case("bench", _scenario(cycles * 2), "Please run it (bench 0)")
    samples: dict[str, list[Sample]] = {"claude": [], "claude-screens": []}
    with Run("claude", "interactive", case, _binary(), step_timeout=60) as run:
        _screens_only(run)
        ids, seqs, tails = {}, {}, {}
        for name in samples:
            out = run.cockpit("dispatch", f"Please run it ({name} 0)", "--provider", name, "--interactive", "--risk", "low")
            assert out.returncode == 0, out.stderr
            ids[name] = out.stdout.strip()
            signals = Tail(run.state.signal_file(ids[name]), "signals") if name == "claude" else None
            tails[name] = (signals, Tail(run.state.log(ids[name]), "log"))
            seqs[name] = _cycle(run, ids[name], None, 0, *tails[name]).seq
            # the first cycle includes start-up effects (first paint, caches): not counted
        for i in range(1, cycles):
            for name in samples:
                sample = _cycle(run, ids[name], f"Please run it ({name} {i})", seqs[name], *tails[name])
                samples[name].append(sample)
                seqs[name] = sample.seq
        for pair in tails.values():
            for tail in pair:
                if tail is not None:
                    tail.stop.set()
    return _figures(samples, run.binary)


def _figures(samples: dict[str, list[Sample]], binary: Path) -> list[Figure]:
    product, screens = samples["claude"], samples["claude-screens"]
    single = all(s.waiting_receipts == 1 for s in product + screens)
    by_source = collections.Counter(s.waiting_source for s in product)
    figures = []
    for key, title in (("wait", "model turn done -> waiting receipt"), ("work", "answer -> working receipt")):
        source = "waiting_source" if key == "wait" else "working_source"
        mine = [getattr(s, f"{key}_ms") for s in product]
        base = [getattr(s, f"{key}_ms") for s in screens]
        p95, base_p95 = percentile(mine, 95), percentile(base, 95)
        checks = [Check(f"p95 <= {TARGET_MS:.0f} ms", p95 <= TARGET_MS)]
        notes = [
            f"product {_spread(mine)}; screens only {_spread(base)}",
            f"recorded from: {dict(collections.Counter(getattr(s, source) for s in product))}",
            f"{len(mine)} samples each, claude {binary}",
        ]
        if key == "wait":
            checks.append(Check("one waiting receipt per transition", single))
        else:
            redraw = [s.redraw_ms for s in product + screens if s.redraw_ms is not None]
            own = [s.work_own_ms for s in product + screens if s.work_own_ms is not None]
            notes.append(
                f"both paths: claude's first redraw after the answer {_spread(redraw)}; from it to the receipt {_spread(own)}"
            )
        figures.append(
            Figure(
                name=f"claude_{key}",
                title=f"real claude: {title} (p95, hooks and screen)",
                unit="ms",
                value=p95,
                samples=mine,
                baseline_label="the same claude, screens only",
                baseline=base_p95,
                baseline_samples=base,
                ratio=(base_p95 / p95) if p95 else None,
                ratio_text="(screens p95 / hooks p95)",
                checks=checks,
                notes=notes,
            )
        )
    hooks = [s.hook_ms for s in product if s.hook_ms is not None]
    drawn = [s.drawn_ms for s in product if s.drawn_ms is not None]
    figures.append(
        Figure(
            name="claude_signals",
            title="real claude: model turn done -> its PermissionRequest hook line (p95)",
            unit="ms",
            value=percentile(hooks, 95),
            samples=hooks,
            baseline_label="-> the dialog's question drawn (in the log)",
            baseline=percentile(drawn, 95),
            baseline_samples=drawn,
            notes=[
                f"hook line {_spread(hooks)}; dialog drawn {_spread(drawn)}",
                f"the hook came first in {sum(1 for s in product if (s.hook_ms or 1e9) <= (s.drawn_ms or 1e9))} of {len(product)}",
                f"waiting recorded from {dict(by_source)}",
                "claude's own time: the floor under both receipts (cockpit takes the first of the two)",
            ],
        )
    )
    own = [s.own_ms for s in product if s.own_ms is not None]
    own_screens = [s.own_ms for s in screens if s.own_ms is not None]
    figures.append(
        Figure(
            name="claude_own_share",
            title="real claude: claude's first sign (hook line or dialog drawn) -> waiting receipt (p95)",
            unit="ms",
            value=percentile(own, 95),
            samples=own,
            baseline_label="screens only: dialog drawn -> receipt",
            baseline=percentile(own_screens, 95),
            baseline_samples=own_screens,
            checks=[Check(f"p95 <= {TARGET_MS:.0f} ms", bool(own) and percentile(own, 95) <= TARGET_MS)],
            notes=[f"cockpit's own share: {_spread(own)}; screens only {_spread(own_screens)}"],
        )
    )
    return figures
