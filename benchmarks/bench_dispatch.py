"""Figure 3: dispatch latency on a large generated repository, against a bare `git worktree add`."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from benchmarks.core import Check, Figure, Profile, median
from benchmarks.fleet import Log
from benchmarks.procstat import wait_for
from benchmarks.sandbox import Sandbox, git, receipt_time, sandbox

PROMPT = "@fake say hi"


def _started_at(box: Sandbox, dispatch_id: str) -> float:
    for receipt in reversed(box.receipts(400)):
        if receipt.dispatch == dispatch_id and receipt.kind == "worker_started":
            return receipt_time(receipt.ts)
    raise AssertionError(f"no worker_started receipt for {dispatch_id}")


def _settled(box: Sandbox, dispatch_id: str) -> None:
    """Wait until the worker has exited and its gates are done, so nothing runs into the next sample."""
    box.wait(dispatch_id, "final", timeout=120)
    wait_for(
        lambda: box.call("show", id=dispatch_id)["review"] not in ("none", "gating"), 120, what=f"the gates of {dispatch_id}"
    )


def cockpit_cli(box: Sandbox) -> float:
    """`cockpit dispatch` as the operator runs it, to the worker_started receipt (seconds)."""
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-m", "cockpit", "dispatch", PROMPT, "--risk", "low"],
        cwd=box.repo,
        env=box.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    _settled(box, out)
    return _started_at(box, out) - started


def cockpit_service(box: Sandbox) -> float:
    """The same through the supervisor's socket (no CLI interpreter start-up)."""
    started = time.time()
    dispatch_id = box.dispatch(PROMPT, task={"risk": "low"})["id"]
    _settled(box, dispatch_id)
    return _started_at(box, dispatch_id) - started


def bare_worktree_add(box: Sandbox, run: int) -> float:
    path = box.root / "bare" / f"wt-{run}"
    started = time.perf_counter()
    git(box.repo, "worktree", "add", "-q", "-b", f"bare-{run}", str(path), "HEAD")
    return time.perf_counter() - started


def run(profile: Profile, *, workdir: Path | None, keep: bool) -> list[Figure]:
    log = Log("dispatch")
    started = time.monotonic()
    with sandbox("dispatch", files=profile.repo_files, max_workers=8, workdir=workdir, keep=keep) as box:
        log(f"generated a repository of {profile.repo_files} files in {time.monotonic() - started:.1f} s")
        box.start_supervisor()
        _settled(box, box.dispatch(PROMPT, task={"risk": "low"})["id"])  # warm-up, not measured
        bare_worktree_add(box, 0)
        cli: list[float] = []
        service: list[float] = []
        bare: list[float] = []
        for run_ in range(1, profile.dispatch_runs + 1):
            order = [0, 1, 2] if run_ % 2 else [2, 1, 0]  # alternate, so neither side always runs first
            for side in order:
                if side == 0:
                    cli.append(cockpit_cli(box))
                elif side == 1:
                    service.append(cockpit_service(box))
                else:
                    bare.append(bare_worktree_add(box, run_))
            log(
                f"run {run_}/{profile.dispatch_runs}: cli {cli[-1] * 1000:.0f} ms, via socket "
                f"{service[-1] * 1000:.0f} ms, git worktree add {bare[-1] * 1000:.0f} ms"
            )
    value, socket_value, baseline = median(cli) * 1000, median(service) * 1000, median(bare) * 1000
    note = [
        (
            f"repository of {profile.repo_files} files; times to the worker_started receipt (the agent's "
            "process is running in its tmux pane)"
        )
    ]
    return [
        Figure(
            name="dispatch_latency",
            title=f"dispatch latency, {profile.repo_files} files",
            unit="ms",
            value=value,
            samples=[x * 1000 for x in cli],
            baseline_label="git worktree add",
            baseline=baseline,
            baseline_samples=[x * 1000 for x in bare],
            ratio=value / baseline,
            ratio_text="the baseline's time",
            checks=[Check("<= 1.25x git worktree add", value / baseline <= 1.25)],
            notes=[*note, "cockpit side: the `cockpit dispatch` command, interpreter start-up included"],
        ),
        Figure(
            name="dispatch_latency_socket",
            title="dispatch latency via the socket",
            unit="ms",
            value=socket_value,
            samples=[x * 1000 for x in service],
            baseline_label="git worktree add",
            baseline=baseline,
            baseline_samples=[x * 1000 for x in bare],
            ratio=socket_value / baseline,
            ratio_text="the baseline's time",
            checks=[Check("<= 1.25x git worktree add", socket_value / baseline <= 1.25)],
            notes=[*note, "cockpit side: a dispatch request on the supervisor's socket (what the TUI sends)"],
        ),
    ]
