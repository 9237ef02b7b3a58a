"""Gates in the supervisor: run them, judge the current diff, approve, reject.

Gates start by themselves when a worker exits 0 (and when a sent-back interactive
worker goes idle), and on demand. Evidence is bound to the diff it judged: base,
head and the diff's sha256. Approval re-checks every required gate against the
diff as it is now; a stale result counts as not run.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from cockpit.domain.dispatch import Dispatch, ReviewState, WorkerState
from cockpit.domain.gate_kinds import kind_rules
from cockpit.domain.gates import GateSpec, GateState, evaluate, required_gates
from cockpit.domain.task import TaskPacket
from cockpit.errors import CockpitError, UsageError
from cockpit.protocol import requests as req
from cockpit.protocol.errors import ErrorCode
from cockpit.protocol.events import GatesFinished
from cockpit.protocol.replies import GatesReply, ReviewReply
from cockpit.runtime.diffs import WorktreeDiff, worktree_diff
from cockpit.runtime.gate_config import load_gates
from cockpit.runtime.gate_runners import IDENTITY_ENV, Outcome, snapshot_commit
from cockpit.runtime.promotion import checkout_blocker
from cockpit.runtime.remote_executor import RemoteExecutor
from cockpit.service.channel import OpHandler, Peer
from cockpit.service.context import log
from cockpit.service.dispatching import default_target, task_path
from cockpit.service.evidence import evaluation_rows, nothing_to_promote, stored_results, write_report
from cockpit.service.extensions import Extension
from cockpit.service.freshness import Freshness
from cockpit.service.gate_kinds import GateJob, runner_for
from cockpit.service.promotion_ops import PromotionOps

__all__ = ["GateService", "default_target", "task_of", "task_path"]


def task_of(d: Dispatch, state: Any = None) -> TaskPacket:
    """The task as the operator wrote it: its private copy (0600), because the recorded one
    has its secrets masked and a masked command must never run; dispatches made before the
    copy existed have only the recorded one."""
    if state is not None:
        try:
            return TaskPacket(**json.loads(task_path(state, d.id).read_bytes()))
        except FileNotFoundError:
            pass
    return TaskPacket(**json.loads(d.task or "{}"))


class GateService(Extension):
    """A supervisor extension: adds the gate, review and promotion requests."""

    def __init__(self) -> None:
        self.ops: dict[str, OpHandler] = {}
        self._running: dict[str, asyncio.Task[Any]] = {}

    def bind(self, supervisor: Any) -> None:
        self.sup = supervisor
        self.ctx = supervisor.ctx
        self.semaphore = asyncio.Semaphore(self.ctx.config.supervisor.gate_concurrency)
        self.promotion = PromotionOps(self)
        self.freshness = Freshness(self)
        self.ops = {"gates": self.op_gates, "review": self.op_review, **self.promotion.ops, **self.freshness.ops}

    # -- triggers -------------------------------------------------------------------------

    async def on_start(self) -> None:
        """Gate runs a crash or a restart interrupted start again: no dispatch stays in `gating`."""
        for d in self.ctx.ws.store.dispatches():
            if d.review == ReviewState.GATING and d.teardown is None and Path(d.worktree).is_dir():
                self.launch(d.id, "interrupted by a supervisor restart")
        self.freshness.start()

    async def after_exit(self, dispatch_id: str, code: int | None) -> None:
        if code == 0:
            self.launch(dispatch_id, "worker exited 0")

    async def after_idle(self, dispatch_id: str) -> None:
        self.launch(dispatch_id, "sent-back worker is idle again")

    def is_running(self, dispatch_id: str) -> bool:
        return dispatch_id in self._running

    def launch(self, dispatch_id: str, trigger: str) -> bool:
        if dispatch_id in self._running:
            return False
        task = asyncio.get_running_loop().create_task(self._run_safely(dispatch_id, trigger))
        self._running[dispatch_id] = task
        task.add_done_callback(lambda _t: self._running.pop(dispatch_id, None))
        return True

    async def _run_safely(self, dispatch_id: str, trigger: str) -> None:
        try:
            await self.run_gates(dispatch_id, trigger)
        except Exception as exc:  # noqa: BLE001 never leave a dispatch in `gating` (logged below)
            reason = str(exc) if isinstance(exc, CockpitError) else f"{type(exc).__name__}: {exc}"
            log.log(
                logging.WARNING if isinstance(exc, CockpitError) else logging.ERROR,
                "gates of %s could not run: %s",
                dispatch_id,
                reason,
                exc_info=not isinstance(exc, CockpitError),
            )
            self.ctx.record("gates_failed_to_run", dispatch_id, reason=reason)
            self.ctx.record(
                "review_changed",
                dispatch_id,
                to=str(ReviewState.CHANGES_REQUESTED),
                blockers=[f"the gates could not run: {reason}"],
            )

    # -- running ------------------------------------------------------------------------------

    def task(self, d: Dispatch) -> TaskPacket:
        return task_of(d, self.ctx.ws.state)

    def plan(self, d: Dispatch) -> tuple[list[GateSpec], list[str], Any]:
        config = load_gates(self.ctx.ws.repo.toplevel)
        required, missing = required_gates(task_of(d, self.ctx.ws.state), config)
        return required, missing, config

    async def current_diff(self, d: Dispatch, *, patch: bool = False) -> WorktreeDiff:
        if not Path(d.worktree).is_dir():
            raise UsageError(f"dispatch {d.id} has no worktree (torn down or never started)")
        return await asyncio.to_thread(worktree_diff, self.ctx.ws.git, Path(d.worktree), d.base_commit or d.base_ref, patch=patch)

    async def sync_remote(self, d: Dispatch) -> None:
        """A worker on an SSH host: fetch what the host holds into the local mirror worktree,
        so gates judge (and approval promotes) exactly that. Not while gates run in it."""
        executor = self.ctx.executor_for(d)
        if isinstance(executor, RemoteExecutor) and Path(d.worktree).is_dir():
            await asyncio.to_thread(executor.sync_workspace, d.id, Path(d.worktree))

    async def run_gates(self, dispatch_id: str, trigger: str) -> None:
        ctx = self.ctx
        d = ctx.dispatch(dispatch_id)
        if d.review == ReviewState.PROMOTED or d.teardown is not None:
            return  # nothing left to judge
        await self.sync_remote(d)
        required, _, config = self.plan(d)
        diff = await self.current_diff(d, patch=any(kind_rules(s.kind).needs_patch for s in required))
        if not diff.files:  # nothing to judge and nothing to promote: no gate runs
            ctx.record("diff_stat", d.id, added=0, removed=0, files=0)
            ctx.record(
                "review_changed",
                d.id,
                to=str(ReviewState.NO_CHANGES),
                trigger=trigger,
                head=diff.head,
                diff_sha256=diff.sha256,
                blockers=[nothing_to_promote(d, diff)],
            )
            ctx.bus.publish(GatesFinished(id=d.id, review=str(ReviewState.NO_CHANGES), blockers=[nothing_to_promote(d, diff)]))
            return
        await asyncio.to_thread(self._keep_evidence, d.id, diff)
        ctx.record(
            "review_changed",
            d.id,
            to="gating",
            trigger=trigger,
            gates=[s.name for s in required],
            head=diff.head,
            diff_sha256=diff.sha256,
        )
        ctx.record("diff_stat", d.id, added=diff.added, removed=diff.removed, files=len(diff.files))
        await asyncio.gather(*(self._one(d, spec, diff, config) for spec in required))
        await self.settle(d.id)

    def _keep_evidence(self, dispatch_id: str, diff: WorktreeDiff) -> None:
        """A ref to the judged tree, so replay can find it after git's garbage collection."""
        git = self.ctx.ws.git
        commit = snapshot_commit(git, diff, f"cockpit evidence for {dispatch_id}")
        git.run_git("update-ref", f"refs/cockpit/evidence/{dispatch_id}", commit, env=IDENTITY_ENV)

    async def _one(self, d: Dispatch, spec: GateSpec, diff: WorktreeDiff, config: Any) -> None:
        ctx = self.ctx
        async with self.semaphore:
            ctx.record(
                "gate_started",
                d.id,
                gate=spec.name,
                kind=spec.kind,
                base_commit=diff.base,
                head_commit=diff.head,
                diff_sha256=diff.sha256,
                tree=diff.tree,
            )
            try:
                outcome = await self.execute(d, spec, diff, config)
            except CockpitError as exc:
                outcome = Outcome("error", str(exc))
            except Exception as exc:  # noqa: BLE001 a crashed runner is a failed gate, never a passed one (logged)
                log.exception("gate %s of %s crashed", spec.name, d.id)
                outcome = Outcome("error", f"the gate crashed: {type(exc).__name__}: {exc}")
            if kind_rules(spec.kind).runs_in_worktree:  # it may have changed what it judged
                after = await self.current_diff(d)
                if after.sha256 != diff.sha256 or after.head != diff.head:
                    outcome.summary += "; the command changed the worktree, so this result is already stale"
            report, digest = await asyncio.to_thread(write_report, ctx.ws.state.reports_dir(d.id), spec, outcome, diff, d.id)
            ctx.record(
                "gate_result",
                d.id,
                gate=spec.name,
                kind=spec.kind,
                status=outcome.status,
                base_commit=diff.base,
                head_commit=diff.head,
                diff_sha256=diff.sha256,
                tree=diff.tree,
                report=str(report),
                report_sha256=digest,
                command=spec.run,
                exit_code=outcome.exit_code,
                summary=outcome.summary[:500],
                findings=[f.model_dump() for f in outcome.findings[:200]],
                tokens_in=outcome.tokens_in,
                tokens_out=outcome.tokens_out,
                cost_micro_usd=outcome.cost_micro_usd,
                duration_ms=outcome.duration_ms,
            )

    async def execute(self, d: Dispatch, spec: GateSpec, diff: WorktreeDiff, config: Any) -> Outcome:
        job = GateJob(self.ctx, d, spec, diff, Path(d.worktree), config, self.task(d))
        return await runner_for(spec.kind).run(job)

    # -- judging ---------------------------------------------------------------------------------

    async def judge(self, d: Dispatch) -> tuple[list[GateState], list[str], WorktreeDiff]:
        required, missing, _ = self.plan(d)
        diff = await self.current_diff(d)
        results, completeness = stored_results(self.ctx.gate_rows(d.id))
        rows = evaluation_rows(results)
        states, blockers = evaluate(required, missing, rows, diff.head, diff.sha256, completeness, running=d.id in self._running)
        conflicts = results.get("conflicts")
        if (
            conflicts is not None
            and all(s.name != "conflicts" for s in required)
            and completeness.get("conflicts")
            and conflicts.status == "failed"
            and conflicts.diff_sha256 == diff.sha256
        ):
            # A failed promotion found a conflict on this very diff: it blocks, required or not.
            extra, more = evaluate([GateSpec(name="conflicts", kind="conflicts")], [], rows, diff.head, diff.sha256, completeness)
            states, blockers = [*states, *extra], [*blockers, *more]
        return states, blockers, diff

    async def settle(self, dispatch_id: str) -> None:
        """After a gate run: awaiting_approval when everything passed on this diff, else changes_requested."""
        d = self.ctx.dispatch(dispatch_id)
        states, blockers, _ = await self.judge(d)
        to = ReviewState.AWAITING_APPROVAL if not blockers else ReviewState.CHANGES_REQUESTED
        findings = [f"{s.name}: {f.file or '-'}: {f.message}" for s in states for f in s.findings if f.severity == "blocking"][
            :50
        ]
        self.ctx.record("review_changed", dispatch_id, to=str(to), blockers=blockers, findings=findings)
        self.ctx.bus.publish(GatesFinished(id=dispatch_id, review=str(to), blockers=blockers))

    # -- requests ----------------------------------------------------------------------------------

    async def op_gates(self, args: req.Gates, peer: Peer) -> GatesReply:
        dispatch_id = self.sup.ops.resolve(args.id)
        d = self.ctx.dispatch(dispatch_id)
        if d.state in (WorkerState.QUEUED, WorkerState.STARTING, WorkerState.WORKING, WorkerState.WAITING):
            raise UsageError(
                f"worker {dispatch_id} is {d.state}; run gates once it is idle or has exited", code=ErrorCode.CONFLICT
            )
        if d.teardown is not None:
            raise UsageError(f"dispatch {dispatch_id} was torn down; restore it first", code=ErrorCode.CONFLICT)
        if d.review == ReviewState.PROMOTED:
            raise UsageError(
                f"dispatch {dispatch_id} was already promoted; there is nothing left to gate", code=ErrorCode.CONFLICT
            )
        required, missing, _ = self.plan(d)
        started = self.launch(dispatch_id, "requested")
        if args.wait:
            task = self._running.get(dispatch_id)
            if task is not None:
                await asyncio.shield(task)
        return GatesReply(
            id=dispatch_id, started=started, already_running=not started, gates=[s.name for s in required], missing=missing
        )

    async def outside_blockers(self, d: Dispatch, diff: WorktreeDiff) -> tuple[str | None, list[str]]:
        """(the target, what blocks approval besides the gates: the worker, the diff, the target, its checkout)."""
        blockers: list[str] = []
        if not diff.files:
            blockers.append(nothing_to_promote(d, diff))
        if d.state in (WorkerState.QUEUED, WorkerState.STARTING, WorkerState.WORKING, WorkerState.WAITING):
            blockers.append(f"the worker is still {d.state}")
        target = d.target or await asyncio.to_thread(default_target, self.ctx.ws.git)
        if target is None:
            blockers.append("no target branch: the main checkout is detached; dispatch with --target")
        elif (dirty := await asyncio.to_thread(checkout_blocker, self.ctx.ws.git, target)) is not None:
            blockers.append(dirty)
        return target, blockers

    async def op_review(self, args: req.Review, peer: Peer) -> ReviewReply:
        d = self.ctx.dispatch(self.sup.ops.resolve(args.id))
        if d.teardown is not None:
            raise UsageError(f"dispatch {d.id} was torn down; nothing to review", code=ErrorCode.CONFLICT)
        strategy = args.strategy or "merge"
        if d.state in (WorkerState.QUEUED, WorkerState.STARTING) or not Path(d.worktree).is_dir():
            return ReviewReply.model_validate(
                {
                    "id": d.id,
                    "title": d.title,
                    "state": str(d.state),
                    "review": str(d.review),
                    "target": d.target,
                    "strategy": strategy,
                    "can_approve": False,
                    "gates": [],
                    "diff": {"files": [], "added": 0, "removed": 0, "sha256": None, "head": None, "base": None},
                    "blockers": [f"the worker has not started yet (it is {d.state})"],
                    "will": "nothing yet",
                }
            )
        await self.freshness.check(d)
        d = self.ctx.dispatch(d.id)
        states, blockers, diff = await self.judge(d)
        target, outside = await self.outside_blockers(d, diff)
        blockers = ["it was already promoted"] if d.review == ReviewState.PROMOTED else [*outside, *blockers]
        if not diff.files and d.review != ReviewState.PROMOTED:  # no gate needs to run on an empty diff
            states, blockers = [], [nothing_to_promote(d, diff)]
        git = self.ctx.ws.git
        ahead = await asyncio.to_thread(git.run_git, "rev-list", "--count", f"{diff.base}..{diff.head}")
        head_tree = await asyncio.to_thread(git.run_git, "rev-parse", f"{diff.head}^{{tree}}")
        extra = " plus its uncommitted changes, committed first" if head_tree != diff.tree else ""
        how = {
            "merge": "with a merge commit",
            "squash": "as one squashed commit",
            "rebase": "rebased onto it (a fast-forward)",
        }.get(strategy, strategy)
        will = (
            f"merge {d.branch} ({ahead} commit(s){extra}) into {target or '(no target)'} {how}; "
            f"{target} moves only if it merges cleanly (else nothing changes), and the worktree then "
            "counts as merged (its teardown keeps no archive)"
        )
        return ReviewReply.model_validate(
            {
                "id": d.id,
                "title": d.title,
                "state": str(d.state),
                "review": str(d.review),
                "target": target,
                "diff": {
                    "files": [f.__dict__ for f in diff.files],
                    "added": diff.added,
                    "removed": diff.removed,
                    "sha256": diff.sha256,
                    "head": diff.head,
                    "base": diff.base,
                },
                "gates": [s.model_dump(mode="json") | {"required": True} for s in states],
                "can_approve": not blockers,
                "blockers": blockers,
                "will": will,
                "strategy": strategy,
            }
        )
