"""Is a dispatch's review still true of its worktree? If not, it becomes `stale`.

`awaiting_approval` and `no_changes` are verdicts on one exact diff. When the worktree
changes afterwards (an interactive worker went on, someone edited it), the verdict no
longer applies: a `review_changed` receipt to `stale` says so, naming the diff it saw, so
the board, `cockpit status` and `wait --until stale` agree. Running the gates again
replaces it. Checked before `status` answers and every EVIDENCE_CHECK_S (PER_TICK at a time) for what a human
is asked to approve (and `no_changes` workers still running); every candidate before
`review` and `approve` answer. An exited worker's `no_changes` is not rechecked on every
`status`: a snapshot per dispatch would make `status` slow on a long history.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from cockpit.domain.dispatch import Dispatch, ReviewState
from cockpit.domain.gates import GateStatus
from cockpit.errors import CockpitError
from cockpit.protocol import requests as req
from cockpit.protocol.views import DispatchView
from cockpit.service.channel import OpHandler, Peer
from cockpit.service.context import log

EVIDENCE_CHECK_S = 5.0
PER_TICK = 8  # a periodic tick checks at most this many, least recently checked first
CHECKED = (ReviewState.AWAITING_APPROVAL, ReviewState.NO_CHANGES)


class Freshness:
    def __init__(self, gates: Any) -> None:
        self.gates = gates
        self.ctx = gates.ctx
        self.ops: dict[str, OpHandler] = {"status": self.op_status}
        self._task: asyncio.Task[None] | None = None
        self._checked: dict[str, float] = {}  # dispatch id -> when it was last checked (monotonic)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._every_few_seconds())

    async def _every_few_seconds(self) -> None:
        while True:
            await asyncio.sleep(EVIDENCE_CHECK_S)
            try:
                await self.check_all(limit=PER_TICK)
            except Exception:  # a check that fails must not stop the next ones
                log.log(logging.WARNING, "checking review evidence failed", exc_info=True)

    def _candidates(self) -> list[Dispatch]:
        return [
            d
            for d in self.ctx.ws.store.dispatches()
            if (d.review == ReviewState.AWAITING_APPROVAL or (d.review == ReviewState.NO_CHANGES and d.live))
            and d.teardown is None
            and Path(d.worktree).is_dir()
        ]

    async def check_all(self, limit: int | None = None) -> None:
        candidates = sorted(self._candidates(), key=lambda d: self._checked.get(d.id, 0.0))
        for d in candidates[:limit]:
            self._checked[d.id] = asyncio.get_running_loop().time()
            try:
                await self.check(d)
            except CockpitError as exc:  # a broken gate file, a vanished worktree: status still answers
                log.warning("could not check the review evidence of %s: %s", d.id, exc)

    async def check(self, d: Dispatch) -> bool:
        """True when `d`'s review was stale (and is now recorded so)."""
        if d.review not in CHECKED or d.teardown is not None or self.gates.is_running(d.id):
            return False
        async with self.ctx.lock(d.id):
            return await self.check_locked(self.ctx.dispatch(d.id))

    async def check_locked(self, d: Dispatch) -> bool:
        """The same, for a caller that holds the dispatch's lock."""
        if d.review not in CHECKED or d.teardown is not None or not Path(d.worktree).is_dir():
            return False
        states, _, diff = await self.gates.judge(d)
        if d.review == ReviewState.NO_CHANGES:
            why = f"the worktree now has {len(diff.files)} changed file(s); no gate judged them" if diff.files else ""
        else:
            old = [s.name for s in states if s.status == GateStatus.STALE]
            why = f"the worktree changed after gate(s) {', '.join(old)} judged it" if old else ""
        if not why:
            return False
        self.ctx.record(
            "review_changed",
            d.id,
            to=str(ReviewState.STALE),
            was=str(d.review),
            reason=why,
            head=diff.head,
            diff_sha256=diff.sha256,
            blockers=[f"{why}: run the gates again (`cockpit gates {d.id}`)"],
        )
        return True

    async def op_status(self, args: req.Status, peer: Peer) -> list[DispatchView]:
        """`status`, after making sure no review it lists is stale."""
        await self.check_all()
        return await self.gates.sup.ops.status(args, peer)
