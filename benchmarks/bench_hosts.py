"""Figures 8-9: dispatch and status latency to an SSH host, against this machine, same run.

The host is a network namespace on this machine running its own sshd (tests/hosts/netns_lab.py):
a real ssh connection, real git over ssh, a real tmux server reached over the network, but
no real distance, so the figures are cockpit's own cost of going remote. Needs root.

  * dispatch: `dispatch` on the supervisor's socket to the worker_started receipt, with
    `--host h1` (push the base, a worktree there, the session there) vs without (local).
  * status: the worker's last write to its log (that file's mtime; on the host's side the
    host's log, the filesystem being shared) to the `exited` receipt.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from benchmarks.core import Figure, Profile, Skipped, median
from benchmarks.fleet import Log
from benchmarks.sandbox import Sandbox, receipt_time, sandbox

LAB = Path(__file__).resolve().parents[1] / "tests" / "hosts"
PROMPT = "@fake say hi"


def _receipt_ts(box: Sandbox, dispatch_id: str, kind: str) -> float:
    for receipt in reversed(box.receipts(400)):
        if receipt.dispatch == dispatch_id and receipt.kind == kind:
            return receipt_time(receipt.ts)
    raise AssertionError(f"no {kind} receipt for {dispatch_id}")


def _one(box: Sandbox, remote_log: Path | None, host: str | None) -> tuple[float, float]:
    """(dispatch latency, status latency) of one dispatch, in seconds."""
    started = time.time()
    view = box.call("dispatch", prompt=PROMPT, task={"risk": "low"}, **({"host": host} if host else {}))
    dispatch_id = view["id"]
    box.wait(dispatch_id, "exited", timeout=120)
    dispatched = _receipt_ts(box, dispatch_id, "worker_started") - started
    log = box.ws.state.log(dispatch_id)
    if host is not None and remote_log is not None:
        log = next(remote_log.glob(f"*/{dispatch_id}/output.log"))
    status = _receipt_ts(box, dispatch_id, "exited") - log.stat().st_mtime
    box.call("teardown", id=dispatch_id, actor="bench")
    return dispatched, status


def run(profile: Profile, *, workdir: Path | None, keep: bool) -> list[Figure]:
    if os.geteuid() != 0:
        raise Skipped("needs root (a network namespace with its own sshd stands in for the host)")
    sys.path.insert(0, str(LAB))
    from netns_lab import NetnsLab

    log = Log("hosts")
    with sandbox("hosts", max_workers=8, workdir=workdir, keep=keep) as box:
        lab = NetnsLab(box.root / "lab")
        try:
            lab.start(["h1"])
            host = lab.hosts["h1"]
            config = Path(box.env["XDG_CONFIG_HOME"]) / "cockpit"
            config.mkdir(parents=True, exist_ok=True)
            (config / "hosts.yaml").write_text(
                f"hosts:\n  h1:\n    ssh: h1\n    root: {host.root}\n    capacity: 4\n"
                f'    env: {{PATH: "{Path(sys.executable).parent}:/usr/bin:/bin"}}\n'
            )
            box.env["COCKPIT_SSH_CONFIG"] = os.environ["COCKPIT_SSH_CONFIG"] = str(lab.ssh_config)
            box.start_supervisor()
            _one(box, None, None), _one(box, host.root / "run", "h1")  # warm-up: not measured
            local: list[tuple[float, float]] = []
            remote: list[tuple[float, float]] = []
            for run_ in range(1, profile.dispatch_runs + 1):
                for side in [0, 1] if run_ % 2 else [1, 0]:  # alternate, so neither side always runs first
                    if side == 0:
                        local.append(_one(box, None, None))
                    else:
                        remote.append(_one(box, host.root / "run", "h1"))
                log(
                    f"run {run_}/{profile.dispatch_runs}: dispatch local {local[-1][0] * 1000:.0f} ms, "
                    f"host {remote[-1][0] * 1000:.0f} ms; status local {local[-1][1] * 1000:.0f} ms, "
                    f"host {remote[-1][1] * 1000:.0f} ms"
                )
        finally:
            lab.close()
    figures = []
    for index, name, title in ((0, "host_dispatch_latency", "dispatch latency to an SSH host"),
                               (1, "host_status_latency", "exit-to-status latency on an SSH host")):  # fmt: skip
        there = [r[index] * 1000 for r in remote]
        here = [r[index] * 1000 for r in local]
        value, baseline = median(there), median(here)
        figures.append(
            Figure(
                name=name,
                title=title,
                unit="ms",
                value=value,
                samples=there,
                baseline_label="the same on this machine",
                baseline=baseline,
                baseline_samples=here,
                ratio=value / baseline if baseline else None,
                ratio_text="the local time",
                checks=[],  # issue 15 asks for the comparison, and sets no target
                notes=["the host is a network namespace here: ssh, git and tmux really cross a network, with no latency"],
            )
        )
    return figures
