"""The gate-kind registry, its runner half: how each kind of gate runs in the supervisor.

The rules half (fields, groups, built-ins, replay policy) is `cockpit/domain/gate_kinds.py`.
A runner gets a GateJob (the dispatch, the gate, the judged diff and where that diff is
checked out) and returns an Outcome; recording it is `service/gates.py`'s job. The same
runner serves a gate run and a replay (`service/promotion_ops.py`), which differ only in
the job: a replay's worktree is a fresh checkout of the recorded tree.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cockpit.domain.dispatch import Dispatch, WorkerState, is_live
from cockpit.domain.gate_kinds import KINDS
from cockpit.domain.gates import GatesConfig, GateSpec
from cockpit.domain.secrets import mask_text
from cockpit.domain.task import TaskPacket
from cockpit.protocol.views import GateResultRow
from cockpit.runtime.diffs import WorktreeDiff
from cockpit.runtime.gate_runners import OtherWorker, Outcome, conflicts_outcome, run_command, run_review, scope_outcome
from cockpit.service.dispatching import default_target


@dataclass(frozen=True)
class GateJob:
    ctx: Any  # the supervisor's context: the workspace (git, store, state), the catalog
    dispatch: Dispatch
    spec: GateSpec
    diff: WorktreeDiff
    worktree: Path  # where the judged tree is checked out
    config: GatesConfig
    task: TaskPacket


Runner = Callable[[GateJob], Awaitable[Outcome]]


@dataclass(frozen=True)
class KindRunner:
    run: Runner
    # What a replay runs, from the gate as configured now and its recorded result row.
    replay_spec: Callable[[GateSpec, GateResultRow], GateSpec] = lambda spec, row: spec


RUNNERS: dict[str, KindRunner] = {}


def runs(kind: str, replay_spec: Callable[[GateSpec, GateResultRow], GateSpec] | None = None) -> Callable[[Runner], Runner]:
    """Register the decorated coroutine as the runner of `kind` (a kind of the domain registry)."""
    if kind not in KINDS:
        raise ValueError(f"gate kind {kind!r} has no rules in cockpit/domain/gate_kinds.py")

    def register(run: Runner) -> Runner:
        RUNNERS[kind] = KindRunner(run, replay_spec) if replay_spec else KindRunner(run)
        return run

    return register


def runner_for(kind: str) -> KindRunner:
    return RUNNERS[kind]


def task_text(ctx: Any, d: Dispatch) -> str:
    """The worker's prompt as it was given (the reviewer reads it), else the dispatch's title."""
    prompt = ctx.ws.state.dispatch_dir(d.id) / "prompt.txt"
    return prompt.read_text(encoding="utf-8") if prompt.exists() else d.title


# -- the kinds -------------------------------------------------------------------------------


def _recorded_command(spec: GateSpec, row: GateResultRow) -> GateSpec:
    """What ran is what replays, even if the gate file changed since; a masked record runs the original."""
    recorded = row.command or spec.run
    if spec.run and recorded == mask_text(spec.run):
        recorded = spec.run
    return spec.model_copy(update={"run": recorded})


@runs("command", replay_spec=_recorded_command)
async def _command(job: GateJob) -> Outcome:
    return await run_command(job.spec, job.worktree, job.dispatch.id)


@runs("scope")
async def _scope(job: GateJob) -> Outcome:
    return scope_outcome(job.diff, job.task.allowed_paths, job.config.protected_paths)


@runs("conflicts")
async def _conflicts(job: GateJob) -> Outcome:
    ctx, d = job.ctx, job.dispatch
    target = d.target or await asyncio.to_thread(default_target, ctx.ws.git)
    if target is None:
        return Outcome("error", "no target branch: the main checkout is detached and the task names none")
    others = [
        OtherWorker(o.id, o.branch, o.base_commit or o.base_ref, o.worktree)
        for o in ctx.ws.store.dispatches()
        if o.id != d.id and o.teardown is None and o.review != "promoted" and (is_live(o.state) or o.state == WorkerState.EXITED)
    ]
    return await asyncio.to_thread(conflicts_outcome, ctx.ws.git, job.diff, target, others, d.id)


@runs("review")
async def _review(job: GateJob) -> Outcome:
    ctx, spec = job.ctx, job.spec
    provider = ctx.catalog.providers.get(spec.provider or "")
    if provider is None:
        return Outcome("error", f"review gate {spec.name}: unknown provider {spec.provider!r}")
    return await run_review(spec, provider, job.diff, task_text(ctx, job.dispatch), job.dispatch.id, ctx.ws.git)
