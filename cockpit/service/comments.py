"""The review loop and continuing a dispatch, as a supervisor extension: line comments on a
dispatch's diff (`review_comment`), sent back to its agent as one message (`comments_sent`),
and `continue` (`continued`). The rounds themselves are cockpit/service/rounds.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from cockpit.domain.comments import HUNK_RE, Hunk, check_text, compose_message, hunk_at, hunks_of, is_resolved, parse_anchor
from cockpit.domain.dispatch import Dispatch
from cockpit.errors import CheckFailed, UsageError
from cockpit.protocol import requests as req
from cockpit.protocol.replies import CommentReply, CommentsReply, CommentsSendReply, ListedComment, RoundReply
from cockpit.runtime.diffs import WorktreeDiff, worktree_diff
from cockpit.service.channel import OpHandler, Peer
from cockpit.service.extensions import Extension
from cockpit.service.receipt_data import ReviewCommentData
from cockpit.service.rounds import Rounds

if TYPE_CHECKING:
    from cockpit.service.supervisor import Supervisor


class ReviewLoopService(Extension):
    """Adds the requests continue, comment, comments and comments_send."""

    def __init__(self) -> None:
        self.ops: dict[str, OpHandler] = {}

    def bind(self, supervisor: Supervisor) -> None:
        self.sup = supervisor
        self.ctx = supervisor.ctx
        self.rounds = Rounds(self.ctx, supervisor.workers)
        supervisor.workers.rounds = self.rounds  # a rejection sent back is a round, too
        self.ops = {
            "continue": self.op_continue,
            "comment": self.op_comment,
            "comments": self.op_comments,
            "comments_send": self.op_comments_send,
        }

    async def after_exit(self, dispatch_id: str, code: int | None) -> None:
        await self.rounds.after_exit(dispatch_id, code)

    # -- helpers --------------------------------------------------------------------------

    def _dispatch(self, args: req.DispatchRef) -> Dispatch:
        return self.ctx.dispatch(self.sup.ops.resolve(args.id))

    async def _diff(self, d: Dispatch) -> WorktreeDiff:
        if d.teardown is not None or not Path(d.worktree).is_dir():
            raise CheckFailed(f"dispatch {d.id} was torn down; its diff is gone")
        return await asyncio.to_thread(worktree_diff, self.ctx.ws.git, Path(d.worktree), d.base_commit or d.base_ref)

    def _comments(self, d: Dispatch, hunks: dict[str, list[Hunk]]) -> list[ListedComment]:
        receipts = self.rounds.receipts.of(d.id)
        sent: dict[str, int] = {}
        for r in receipts:
            if r.kind == "comments_sent":
                ids = r.data.get("comments", [])
                for cid in ids if isinstance(ids, list) else []:
                    sent[str(cid)] = r.seq
        out = []
        for r in receipts:
            if r.kind != "review_comment":
                continue
            c = ReviewCommentData.model_validate(r.data)
            start_now, end_now = _where_now(c, hunks)
            out.append(
                ListedComment(
                    **c.model_dump(),
                    actor=r.actor,
                    ts=r.ts,
                    seq=r.seq,
                    sent=c.comment in sent,
                    resolved=is_resolved(c.model_dump(), hunks),
                    line_start_now=start_now,
                    line_end_now=end_now,
                )
            )
        return out

    # -- requests -------------------------------------------------------------------------

    async def op_continue(self, args: req.Continue, peer: Peer) -> RoundReply:
        d = self._dispatch(args)
        prompt = args.prompt
        if not prompt.strip():
            raise UsageError("the prompt is empty", hint="cockpit continue ID 'what to do next'")
        actor = args.actor or "operator"
        return await self.rounds.give(d.id, prompt, actor=actor, kind="continued")

    async def op_comment(self, args: req.Comment, peer: Peer) -> CommentReply:
        d = self._dispatch(args)
        try:
            path, start, end = parse_anchor(args.anchor)
            text = check_text(args.text)
        except ValueError as exc:
            raise UsageError(str(exc), hint="cockpit comment ID FILE:LINE[-LINE] TEXT") from None
        diff = await self._diff(d)
        hunks = hunks_of(diff.patch)
        if path not in hunks:
            changed = ", ".join(sorted(hunks)) or "none"
            raise UsageError(f"{path} is not in the diff of {d.id}", hint=f"files with changed lines: {changed}")
        hunk = hunk_at(hunks, path, start, end)
        if hunk is None:
            spans = ", ".join(_span(h) for h in hunks[path])
            where = f"{path}:{start}" + (f"-{end}" if end != start else "")
            raise UsageError(f"{where} is outside the diff of {d.id}", hint=f"the diff shows {path} at lines {spans}")
        earlier = await asyncio.to_thread(self.rounds.receipts.of, d.id)
        number = sum(1 for r in earlier if r.kind == "review_comment") + 1
        comment = ReviewCommentData(
            comment=f"c{number}",
            file=path,
            line_start=start,
            line_end=end,
            text=text,
            hunk=hunk.text,
            diff_sha256=diff.sha256,
        )
        actor = args.actor or "operator"
        self.ctx.record("review_comment", d.id, actor=actor, **comment.model_dump())
        return CommentReply(id=d.id, **comment.model_dump())

    async def op_comments(self, args: req.Comments, peer: Peer) -> CommentsReply:
        d = self._dispatch(args)
        try:
            hunks = hunks_of((await self._diff(d)).patch)
        except CheckFailed:
            hunks = {}  # torn down: every comment's hunk is gone
        comments = await asyncio.to_thread(self._comments, d, hunks)
        return CommentsReply(id=d.id, comments=comments)

    async def op_comments_send(self, args: req.CommentsSend, peer: Peer) -> CommentsSendReply:
        d = self._dispatch(args)
        self.rounds.check_can_take(d, "send comments to")
        hunks = hunks_of((await self._diff(d)).patch)
        pending = [c for c in await asyncio.to_thread(self._comments, d, hunks) if not c.sent and not c.resolved]
        if not pending:
            raise CheckFailed(f"no unsent comments on {d.id}", hint=f"add one: cockpit comment {d.id} FILE:LINE TEXT")
        message = compose_message([c.model_dump() for c in pending])
        actor = args.actor or "operator"
        ids = [c.comment for c in pending]
        result = await self.rounds.give(d.id, message, actor=actor, kind="comments_sent", comments=ids)
        return CommentsSendReply(
            id=result.id, how=result.how, round=result.round, resumed_session=result.resumed_session, comments=ids
        )


def _span(hunk: Hunk) -> str:
    numbers = [n for n, _ in hunk.new_lines()]
    return f"{numbers[0]}-{numbers[-1]}" if numbers else f"{hunk.new_start} (removed lines only)"


def _where_now(comment: ReviewCommentData, hunks: dict[str, list[Hunk]]) -> tuple[int, int]:
    """The comment's lines in the diff as it is now: moved with its hunk, else where they were."""
    body = tuple(comment.hunk.split("\n")[1:])
    header_then = comment.hunk.split("\n", 1)[0]
    for hunk in hunks.get(comment.file, []):
        if hunk.body == body:
            then = HUNK_RE.match(header_then)
            shift = hunk.new_start - int(then[3]) if then else 0
            return comment.line_start + shift, comment.line_end + shift
    return comment.line_start, comment.line_end
