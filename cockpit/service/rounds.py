"""Rounds of a dispatch: more work for the same agent in the same worktree.

A live interactive worker gets the text typed into its session. Otherwise a new run of the
CLI starts in the worktree: resumed in the CLI's own session where the catalog's `resume:`
says how and a session id was captured, else a fresh session told what the last round did.
`cockpit continue`, review comments sent back and a rejection sent back all go through here.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from cockpit.domain.dispatch import Dispatch, WorkerState, is_live
from cockpit.domain.task import check_prompt
from cockpit.errors import CheckFailed, CockpitError, UsageError
from cockpit.protocol.replies import RoundReply
from cockpit.runtime.private_files import write_private
from cockpit.runtime.rounds import can_resume, last_answer, last_session, resumed_provider
from cockpit.service.context import Context, log
from cockpit.service.receipt_data import RoundSession, TextDigest
from cockpit.service.round_receipts import RoundReceipts

TYPED = "typed into the running agent"
NEW_RUN = "a new run of the agent in the same worktree"


class Rounds:
    def __init__(self, ctx: Context, workers: Any) -> None:
        self.ctx = ctx
        self.workers = workers
        self.receipts = RoundReceipts(ctx)

    # -- sessions -------------------------------------------------------------------------

    async def capture_session(self, d: Dispatch) -> str | None:
        """Receipt the CLI's session id when its output or hooks show one not receipted yet."""
        provider = self.ctx.catalog.providers.get(d.provider)
        known = await asyncio.to_thread(self.receipts.session_id, d.id)  # reads the ledger
        if provider is None or provider.resume is None:
            return known
        state = self.ctx.ws.state
        keys = provider.resume.session_keys
        seen = await asyncio.to_thread(last_session, state.log(d.id), state.signal_file(d.id), keys)
        if seen is None or seen.session_id == known:
            return known
        self.ctx.record("session_captured", d.id, session_id=seen.session_id, source=seen.source, round=self.round_of(d.id))
        return seen.session_id

    async def after_exit(self, dispatch_id: str, code: int | None) -> None:
        d = self.ctx.ws.store.dispatch(dispatch_id)
        if d is not None:
            await self.capture_session(d)

    # -- rounds ---------------------------------------------------------------------------

    def round_of(self, dispatch_id: str) -> int:
        """The round now running or last run: 1, then one more per new run."""
        return len(list(self.ctx.ws.state.dispatch_dir(dispatch_id).glob("round-*.txt"))) + 1

    def check_can_take(self, d: Dispatch, what: str) -> None:
        """CheckFailed (exit 1) when the dispatch cannot take more work now."""
        if d.teardown is not None or not Path(d.worktree).is_dir():
            raise CheckFailed(f"dispatch {d.id} was torn down; its worktree is gone, so there is nothing to {what}")
        if d.state in (WorkerState.QUEUED,) or (is_live(d.state) and d.mode != "interactive"):
            raise CheckFailed(
                f"worker {d.id} is {d.state}; wait for it to exit before you {what} it",
                hint=f"cockpit wait {d.id}",
            )
        if is_live(d.state) and d.id not in self.ctx.live:
            raise CheckFailed(f"worker {d.id} is {d.state} but not watched by this supervisor; try again in a moment")

    async def give(self, dispatch_id: str, text: str, *, actor: str, kind: str, comments: list[str] | None = None) -> RoundReply:
        """Give `text` to the dispatch's agent as a new round; `kind` is the receipt that says
        why (sent_back, continued, comments_sent: with the ids of the `comments` sent)."""
        ctx = self.ctx
        try:
            check_prompt(text)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        async with ctx.lock(dispatch_id):
            d = ctx.dispatch(dispatch_id)
            self.check_can_take(d, "continue")
            digest = TextDigest(sha256=hashlib.sha256(text.encode()).hexdigest(), bytes=len(text.encode()))
            data = {"comments": comments} if comments is not None else {}
            worker = ctx.live.get(dispatch_id)
            if is_live(d.state) and worker is not None:
                await self._type_in(worker, text)
                worker.gates_on_idle = True
                ctx.record(kind, dispatch_id, actor=actor, how=TYPED, **data, **digest)
                self.workers.set_state(dispatch_id, WorkerState.WORKING, source="screen")
                return RoundReply(id=dispatch_id, how=TYPED, round=self.round_of(dispatch_id), resumed_session=None)
            return await self._new_run(d, text, actor=actor, kind=kind, digest=digest, comments=comments)

    async def _type_in(self, worker: Any, text: str) -> None:
        """Paste, let the TUI take the paste in, then its submit keys: an Enter that arrives
        while a TUI still takes in a paste can be read as part of it (as prompt delivery does)."""
        spec = worker.provider.interactive
        executor = self.ctx.executor_for(worker.id)
        before = await asyncio.to_thread(executor.capture, worker.id)
        await asyncio.to_thread(executor.paste_text, worker.id, text)
        await self.workers.input._settled_after_paste(worker.id, before)
        if spec is not None and spec.submit_delay_s:
            await asyncio.sleep(spec.submit_delay_s)
        await asyncio.to_thread(executor.send_keys, worker.id, *(spec.submit_keys if spec is not None else ["Enter"]))

    async def _new_run(
        self, d: Dispatch, text: str, *, actor: str, kind: str, digest: TextDigest, comments: list[str] | None
    ) -> RoundReply:
        ctx = self.ctx
        session_id = await self.capture_session(d)
        provider = ctx.catalog.get(d.provider)
        number = self.round_of(d.id) + 1
        resumes = can_resume(provider, d.mode, session_id)
        prompt = text if resumes else await asyncio.to_thread(self._with_summary, d, text, number)
        prompt_file = ctx.ws.state.dispatch_dir(d.id) / f"round-{number}.txt"
        write_private(prompt_file, prompt.encode("utf-8"))
        await asyncio.to_thread(ctx.executor_for(d).close_session, d.id)  # the finished run's dead pane
        session = RoundSession(resumed_session=session_id)
        if not resumes:
            has_args = provider.resume is not None and provider.resume.args_for(d.mode) is not None
            why = "no session id was captured from the last round" if has_args else f"{provider.name} has no {d.mode} resume args"
            session = RoundSession(fresh_session=why)
        data = {"comments": comments} if comments is not None else {}
        ctx.record(kind, d.id, actor=actor, how=NEW_RUN, round=number, **session, **data, **digest)
        ctx.record("worker_resumed", d.id, round=number)
        try:
            launch_as = resumed_provider(provider, d.mode, session_id) if resumes else provider
            await self.workers._launch(ctx.dispatch(d.id), launch_as, prompt_file)
        except CockpitError as exc:
            ctx.forget(d.id)
            log.warning("round %d of %s failed to start: %s", number, d.id, exc)
            ctx.record("start_failed", d.id, error=str(exc))
        return RoundReply(id=d.id, how=NEW_RUN, round=number, resumed_session=session_id if resumes else None)

    def _with_summary(self, d: Dispatch, text: str, number: int) -> str:
        """A fresh session's prompt: what the last round was asked and answered, then `text`."""
        ddir = self.ctx.ws.state.dispatch_dir(d.id)
        previous = ddir / (f"round-{number - 1}.txt" if number > 2 else "prompt.txt")
        try:
            asked = previous.read_bytes().decode("utf-8", "replace").strip()
        except OSError:
            asked = "(not kept)"
        answer = last_answer(self.ctx.ws.state.log(d.id)) or f"(no answer recorded; it exited {d.exit_code})"
        asked, answer = _quoted(asked), _quoted(answer)
        return (
            f"You are continuing earlier work in this worktree (round {number} of this task; "
            f"your earlier session is not available).\n\n"
            f"The previous round was asked:\n{asked}\n\n"
            f"It answered:\n{answer}\n\n"
            f"Its changes are in this worktree (see git status and git log).\n\n"
            f"Now:\n{text}\n"
        )


def _quoted(text: str) -> str:
    """Quoted, so the old round's instructions read as history, not as orders."""
    return "\n".join(f"> {line}" for line in text.splitlines())
