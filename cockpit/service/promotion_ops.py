"""Approve, reject (optionally sending the work back) and replay: the human's side of the gates."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any, cast

from cockpit.domain.anchors import trailer
from cockpit.domain.dispatch import ReviewState, WorkerState, is_live
from cockpit.domain.gate_kinds import KINDS, kind_rules
from cockpit.domain.gates import GateSpec
from cockpit.errors import CheckFailed, UsageError
from cockpit.protocol import requests as req
from cockpit.protocol.errors import ErrorCode
from cockpit.protocol.replies import ApproveReply, RejectReply, ReplayedGate, ReplayReply
from cockpit.protocol.views import GateResultRow
from cockpit.runtime.diffs import tree_diff
from cockpit.runtime.gate_runners import Outcome
from cockpit.runtime.private_files import private_dir, write_private
from cockpit.runtime.promotion import STRATEGIES, Strategy, promote
from cockpit.service.channel import OpHandler, Peer
from cockpit.service.context import Context
from cockpit.service.evidence import nothing_to_promote, write_report
from cockpit.service.gate_kinds import GateJob, runner_for


def _replays(kind: str, with_review: bool) -> bool:
    """Whether `cockpit replay` re-runs a recorded result of this kind (per its rules)."""
    rules = KINDS.get(kind)
    return rules is not None and (rules.replay == "always" or (with_review and rules.replay == "on_request"))


def _scratch_worktree(git: Any, path: Path, head: str, tree: str) -> None:
    """A detached worktree at `head` whose files are exactly `tree` (the judged state, uncommitted work included)."""
    with git.lock:  # worktree operations are serialised with every other cockpit git operation
        git.run_git("worktree", "add", "--detach", "-q", str(path), head)
    git.run_git("read-tree", "-u", "--reset", tree, cwd=path)


def _drop_worktree(git: Any, path: Path) -> None:
    with git.lock:
        git.try_git("worktree", "remove", "--force", str(path))


async def worker_of_peer(ctx: Context, peer: Peer, identity: req.Identity) -> str | None:
    """Which worker (if any) the requester runs inside: its own word, the worker marker in the
    environment of it or of any parent, or a worker's pane among its parents (a process that
    dropped the marker still descends from the pane); each executor knows its own processes."""
    if identity.worker:
        return identity.worker
    if peer.pid is None:
        return None
    for executor in ctx.executors.values():
        if found := await asyncio.to_thread(executor.owner_of_process, peer.pid):
            return found
    return None


class PromotionOps:
    def __init__(self, gates: Any) -> None:
        self.gates = gates
        self.ctx = gates.ctx
        self.ops: dict[str, OpHandler] = {"approve": self.approve, "reject": self.reject, "replay": self.replay}

    async def approve(self, args: req.Approve, peer: Peer) -> ApproveReply:
        ctx = self.ctx
        dispatch_id = self.gates.sup.ops.resolve(args.id)
        identity = args.identity.model_dump(exclude_unset=True)  # receipted as the client sent it
        actor = f"{args.identity.user}@{args.identity.host}"
        strategy = args.strategy or "merge"
        if strategy not in STRATEGIES:
            raise UsageError(f"unknown strategy {strategy!r}", hint="use merge, squash or rebase")
        if (worker := await worker_of_peer(ctx, peer, args.identity)) is not None:
            ctx.record(
                "approval_refused",
                dispatch_id,
                actor=actor,
                identity=identity,
                blockers=[f"asked from inside worker {worker}'s environment"],
            )
            raise CheckFailed(
                f"refusing to approve from inside worker {worker}'s environment: a worker never approves its own work",
                hint="approve from your own terminal or the TUI",
            )
        async with ctx.lock(dispatch_id):
            d = ctx.dispatch(dispatch_id)
            if d.review == ReviewState.PROMOTED:
                raise CheckFailed(f"{dispatch_id} was already promoted", code=ErrorCode.CONFLICT)
            if not self.gates.is_running(dispatch_id):  # gates run in the mirror: never pull under them
                await self.gates.sync_remote(d)  # a host's work changed since the gates: they judge again
            await self.gates.freshness.check_locked(d)
            states, blockers, diff = await self.gates.judge(d)
            target, outside = await self.gates.outside_blockers(d, diff)
            blockers = [*outside, *blockers]
            if not diff.files:  # the only thing to say: gates on an empty diff never ran, and need not
                blockers = [nothing_to_promote(d, diff)]
            if blockers:
                ctx.record(
                    "approval_refused",
                    dispatch_id,
                    actor=actor,
                    blockers=blockers,
                    identity=identity,
                    diff_sha256=diff.sha256,
                    head=diff.head,
                )
                raise CheckFailed(
                    f"cannot approve {dispatch_id}: " + "; ".join(blockers),
                    hint=f"`cockpit review {dispatch_id}` shows each gate",
                )
            assert target is not None
            ctx.record(
                "approved",
                dispatch_id,
                actor=actor,
                identity=identity,
                diff_sha256=diff.sha256,
                base=diff.base,
                head=diff.head,
                tree=diff.tree,
                strategy=strategy,
                target=target,
                gates=[{"gate": s.name, "status": str(s.status)} for s in states],
            )
            anchor = trailer(*ctx.ws.ledger.last())  # the promotion commit anchors the ledger (docs/receipts.md)
            message = f"cockpit: promote {dispatch_id}: {d.title}\n\nApproved by {actor}; diff sha256 {diff.sha256}.\n\n{anchor}"
            try:
                result = await asyncio.to_thread(
                    promote,
                    ctx.ws.git,
                    dispatch_id=dispatch_id,
                    worktree=Path(d.worktree),
                    branch=d.branch,
                    diff=diff,
                    target=target,
                    strategy=cast(Strategy, strategy),  # checked against STRATEGIES above
                    message=message,
                    trailer=anchor,
                )
            except (CheckFailed, UsageError) as exc:
                needs_changes = getattr(exc, "needs_changes", False)
                ctx.record(
                    "promotion_failed",
                    dispatch_id,
                    actor=actor,
                    reason=str(exc),
                    target=target,
                    strategy=strategy,
                    diff_sha256=diff.sha256,
                    needs_changes=needs_changes,
                )
                if needs_changes:  # a conflict: the agent (or a human) must change the work
                    await self._conflicts_failed(d, diff, str(exc))
                    ctx.record("review_changed", dispatch_id, to=str(ReviewState.CHANGES_REQUESTED), blockers=[str(exc)])
                raise
            ctx.record(
                "promoted",
                dispatch_id,
                actor=actor,
                commit=result.commit,
                previous=result.previous,
                target=target,
                strategy=strategy,
                diff_sha256=diff.sha256,
                head=diff.head,
                committed_uncommitted=result.committed_uncommitted,
                worktree_synced=result.worktree_synced,
            )
        return ApproveReply(
            id=dispatch_id,
            commit=result.commit,
            target=target,
            strategy=strategy,
            diff_sha256=diff.sha256,
            worktree_synced=result.worktree_synced,
        )

    async def _conflicts_failed(self, d: Any, diff: Any, reason: str) -> None:
        """The promotion itself found a conflict with the target: that is the conflicts gate's
        verdict on this diff now, so the earlier `passed` no longer stands."""
        spec = GateSpec(name="conflicts", kind="conflicts")
        outcome = Outcome("failed", f"the promotion found a conflict: {reason}")
        report, digest = await asyncio.to_thread(write_report, self.ctx.ws.state.reports_dir(d.id), spec, outcome, diff, d.id)
        self.ctx.record(
            "gate_result",
            d.id,
            gate="conflicts",
            kind="conflicts",
            status="failed",
            base_commit=diff.base,
            head_commit=diff.head,
            diff_sha256=diff.sha256,
            tree=diff.tree,
            report=str(report),
            report_sha256=digest,
            command=None,
            exit_code=None,
            summary=outcome.summary[:500],
            findings=[],
            tokens_in=0,
            tokens_out=0,
            cost_micro_usd=0,
            duration_ms=0,
        )

    async def reject(self, args: req.Reject, peer: Peer) -> RejectReply:
        ctx = self.ctx
        dispatch_id = self.gates.sup.ops.resolve(args.id)
        reason = (args.reason or "").strip()
        if not reason or "\x00" in reason:
            raise UsageError("a rejection needs a reason", hint="--reason 'what must change'")
        send_back = args.send_back
        actor = args.actor or "operator"
        async with ctx.lock(dispatch_id):
            d = ctx.dispatch(dispatch_id)
            if d.review == ReviewState.PROMOTED:
                raise UsageError(f"{dispatch_id} was already promoted; it cannot be rejected", code=ErrorCode.CONFLICT)
            if send_back and d.teardown is not None:
                raise UsageError(f"{dispatch_id} was torn down; restore it before sending it back")
            if send_back and d.mode != "interactive" and (is_live(d.state) or d.state == WorkerState.QUEUED):
                raise UsageError(f"worker {dispatch_id} is still {d.state}; wait for it to exit before sending work back")
            ctx.record("rejected", dispatch_id, actor=actor, reason=reason, send_back=send_back)
        if send_back:
            await self.gates.sup.workers.send_back(dispatch_id, reason, actor=actor)
        return RejectReply(id=dispatch_id, rejected=True, sent_back=send_back)

    async def replay(self, args: req.Replay, peer: Peer) -> ReplayReply:
        """Re-run the recorded command gates on the recorded head and tree, in a fresh worktree."""
        ctx = self.ctx
        d = ctx.dispatch(self.gates.sup.ops.resolve(args.id))
        rows = [r for r in ctx.gate_rows(d.id) if r.tree and r.status != "running"]
        with_review = args.review
        chosen = [r for r in rows if _replays(r.kind, with_review)]
        if not chosen:
            raise UsageError(f"{d.id} has no recorded command gate results to replay", hint=f"run `cockpit gates {d.id}` first")
        git = ctx.ws.git
        _, _, config = self.gates.plan(d)
        task = self.gates.task(d)
        scratch = Path(tempfile.mkdtemp(prefix="cockpit-replay-"))
        comparisons: list[ReplayedGate] = []
        outputs: dict[str, str] = {}  # each replay's output (its tail), for the report
        try:
            for row in chosen:
                # A recorded tree comes with the head and base it was judged against (service/gates.py).
                assert row.tree is not None and row.head_commit is not None and row.base_commit is not None
                path = scratch / row.gate
                await asyncio.to_thread(_scratch_worktree, git, path, row.head_commit, row.tree)
                rules, runner = kind_rules(row.kind), runner_for(row.kind)
                spec = runner.replay_spec(await self._spec_of(d, row), row)
                diff = await asyncio.to_thread(
                    tree_diff, git, row.base_commit, row.tree, head=row.head_commit, patch=rules.needs_patch
                )
                outcome = await runner.run(GateJob(ctx, d, spec, diff, path, config, task))
                same = row.status == outcome.status and (not rules.replay_compares_exit or row.exit_code == outcome.exit_code)
                comparisons.append(
                    ReplayedGate(
                        gate=row.gate,
                        kind=row.kind,
                        before=row.status,
                        head=row.head_commit,
                        tree=row.tree,
                        after=outcome.status,
                        exit_before=row.exit_code,
                        exit_after=outcome.exit_code,
                        same=same,
                        summary_before=row.summary,
                        summary_after=outcome.summary,
                    )
                )
                outputs[row.gate] = outcome.output[-4000:]
                await asyncio.to_thread(_drop_worktree, git, path)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            await asyncio.to_thread(git.prune_worktrees)
        skipped = sorted(r.gate for r in rows if r not in chosen)
        report = self._write_replay_report(d.id, comparisons, outputs, with_review, skipped)
        same = all(c.same for c in comparisons)
        ctx.record(
            "replayed",
            d.id,
            same=same,
            report=str(report),
            gates=[c.model_dump(include={"gate", "kind", "before", "after", "same"}) for c in comparisons],
        )
        return ReplayReply(id=d.id, same=same, report=str(report), not_replayed=skipped, gates=comparisons)

    async def _spec_of(self, d: Any, row: GateResultRow) -> GateSpec:
        """The gate as configured now (its kind's runner adjusts it to what was recorded), else as recorded."""
        required, _, config = self.gates.plan(d)
        for spec in required + list(config.named().values()):
            if spec.name == row.gate:
                return spec
        return GateSpec(name=row.gate, kind=row.kind, run=row.command)

    def _write_replay_report(
        self,
        dispatch_id: str,
        comparisons: list[ReplayedGate],
        outputs: dict[str, str],
        with_review: bool,
        skipped: list[str],
    ) -> Path:
        directory = private_dir(self.ctx.ws.state.reports_dir(dispatch_id))
        n = len(list(directory.glob("replay-*.txt"))) + 1
        path = directory / f"replay-{n}.txt"
        lines = [
            f"cockpit replay {n} of dispatch {dispatch_id}",
            "Command gates re-ran on the recorded head and tree in a fresh temporary worktree.",
            "Agent reviews are not deterministic: "
            + (
                "they were re-run as asked; a different verdict is not evidence of tampering."
                if with_review
                else "they were not re-run (use --review)."
            ),
            "Only the recorded tree is the same: tools, network and files outside the worktree may differ.",
            "",
        ]
        for c in comparisons:
            lines.append(
                f"{c.gate:<16} {c.kind:<8} before {c.before:<7} after {c.after:<7} "
                f"{'same' if c.same else 'DIFFERENT'} (exit {c.exit_before} -> {c.exit_after})"
            )
        if skipped:
            lines.append(f"not replayed: {', '.join(skipped)}")
        lines.append("")
        for c in comparisons:
            lines += [
                f"--- {c.gate}: head {c.head}, tree {c.tree} ---",
                f"before: {c.summary_before}",
                f"after:  {c.summary_after}",
                "output of the replay (tail):",
                outputs[c.gate],
                "",
            ]
        write_private(path, "\n".join(lines).encode("utf-8", "replace"), fsync=True)
        return path
