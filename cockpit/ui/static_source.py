"""A source of fixed data: the same screen on every run (snapshot tests, screenshots).

It answers the read requests from the data it was given, records the action requests
it receives (so a test can see what the UI asked for) and has no events and no clock
but the one it was given. It speaks the supervisor's protocol (cockpit/protocol): each
request's arguments are checked by the op's model, each answer by the op's reply model
and returned as the JSON the channel would carry, and a request it does not serve fails
with the `unknown_op` code, as an older supervisor's would.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, JsonValue

from cockpit.domain.receipt import Receipt
from cockpit.errors import UsageError
from cockpit.protocol import requests as req
from cockpit.protocol.envelope import to_wire
from cockpit.protocol.errors import ErrorCode
from cockpit.protocol.events import Event, Hello
from cockpit.protocol.replies import (
    ApproveReply,
    CommentsReply,
    ControlDone,
    ControlReply,
    DiffReply,
    DiffSummary,
    GatesReply,
    HostInfo,
    KillReply,
    ListedComment,
    PingReply,
    ProviderInfo,
    RejectReply,
    ReviewReply,
    RoundReply,
    ScreenReply,
    SendReply,
    SkillInfo,
    TeardownPreview,
    TeardownReply,
    check_reply,
)
from cockpit.protocol.requests import Identity, parse_args
from cockpit.protocol.views import DispatchView
from cockpit.ui.source import forever


class StaticPages:
    def __init__(self, receipts: list[Receipt]) -> None:
        self.receipts = receipts

    @property
    def count(self) -> int:
        return len(self.receipts)

    def refresh(self) -> int:
        return self.count

    def get(self, index: int) -> Receipt | None:
        return self.receipts[index] if 0 <= index < len(self.receipts) else None

    def latest(self, count: int) -> list[Receipt]:
        return self.receipts[-count:] if count > 0 else []

    def index_of_seq(self, seq: int) -> int | None:
        for i, receipt in enumerate(self.receipts):
            if receipt.seq == seq:
                return i
        return None


@dataclass
class StaticSource:
    views: list[DispatchView]
    clock: datetime
    receipts: list[Receipt] = field(default_factory=list)
    screens: dict[str, str] = field(default_factory=dict)
    diffs: dict[str, DiffReply] = field(default_factory=dict)
    comments: dict[str, list[ListedComment]] = field(default_factory=dict)  # review comments by dispatch
    reviews: dict[str, ReviewReply] = field(default_factory=dict)
    teardowns: dict[str, TeardownPreview] = field(default_factory=dict)
    providers: list[ProviderInfo] = field(default_factory=list)
    skills: list[SkillInfo] = field(default_factory=list)
    hosts: list[HostInfo] = field(default_factory=list)  # as the supervisor's last probe found them
    label: str = "~/src/project"
    calls: list[tuple[str, dict[str, JsonValue]]] = field(default_factory=list)  # each request's arguments, as JSON

    def now(self) -> datetime:
        return self.clock

    def _view(self, ref: str) -> DispatchView:
        for view in self.views:
            if view.id == ref:
                return view
        raise UsageError(f"no dispatch {ref!r} in this repository", code=ErrorCode.NOT_FOUND)

    async def call(self, op: str, **args: Any) -> Any:
        self.calls.append((op, to_wire(args)))  # as the channel would carry them
        parsed = parse_args(op, args)  # the supervisor's own check of the arguments
        return to_wire(check_reply(op, self._answer(op, parsed)))

    def _answer(self, op: str, args: req.Args) -> BaseModel | Sequence[BaseModel]:
        ref = (args.id or "") if isinstance(args, req.DispatchRef | req.Pause) else ""
        if op == "ping":
            return PingReply(pid=0, version="static", live=0)
        if op == "status":
            return list(self.views)
        if op == "show":
            return self._view(ref)
        if op == "providers":
            return self.providers
        if op == "skills":
            return self.skills
        if op == "hosts":
            return list(self.hosts)
        if op == "screen":
            self._view(ref)
            return ScreenReply(id=ref, available=ref in self.screens, text=self.screens.get(ref, ""))
        if op == "diff":
            self._view(ref)
            if ref not in self.diffs:
                raise UsageError(f"dispatch {ref} has no worktree (it was torn down or never started)")
            return self.diffs[ref]
        if op == "comments":
            self._view(ref)
            return CommentsReply(id=ref, comments=self.comments.get(ref, []))
        if op == "continue":
            self._view(ref)
            return RoundReply(id=ref, how="a new run", round=2, resumed_session=None)
        if op == "review" and self.reviews:
            self._view(ref)
            return self.reviews.get(ref) or ReviewReply(
                id=ref,
                gates=[],
                can_approve=False,
                blockers=["no gates have run"],
                diff=DiffSummary(),
                target="main",
                will="",
            )
        if op == "preview_teardown":
            self._view(ref)
            return self.teardowns.get(ref) or TeardownPreview(
                id=ref,
                classification="clean",
                commits_ahead=0,
                changed=0,
                untracked=0,
                ignored=[],
                will_archive=False,
                archive_ref=f"refs/cockpit/archive/{ref}",
                live=False,
            )
        if op == "gates":
            names = [g.gate for g in self._view(ref).gates or []]
            return GatesReply(id=ref, gates=names or ["tests"], started=True)
        if op == "send":
            return SendReply(id=ref, sent=True)
        if op == "kill":
            return KillReply(id=ref, killed=True)
        if op == "teardown":
            return TeardownReply(id=ref, classification="clean")
        if isinstance(args, req.Approve):
            return ApproveReply(id=ref, commit="0" * 40, target="main", strategy=args.strategy or "merge")
        if isinstance(args, req.Reject):
            return RejectReply(id=ref, rejected=True, sent_back=args.send_back)
        if isinstance(args, req.Dispatch):
            return self._queued(args)
        if op in ("pause", "resume"):
            self._view(ref)
            how = "1 process(es) " + ("stopped" if op == "pause" else "continued")
            return ControlReply(done=[ControlDone(id=ref, how=how)], failed=[])
        raise UsageError(f"the supervisor does not know the request {op!r}", code=ErrorCode.UNKNOWN_OP)

    def _queued(self, args: req.Dispatch) -> DispatchView:
        """A new dispatch's view, as the supervisor answers `dispatch` (queued, nothing run)."""
        dispatch_id = f"5tat1c{len(self.calls):04d}"[:10]
        ts = self.clock.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        prompt = args.prompt or ""
        return DispatchView(
            id=dispatch_id,
            created_seq=len(self.receipts) + 1,
            created_ts=ts,
            updated_ts=ts,
            title=prompt.splitlines()[0] if prompt.strip() else "(empty prompt)",
            prompt_sha256="0" * 64,
            prompt_bytes=len(prompt.encode()),
            provider=args.provider or "fake",
            mode=args.mode or "interactive",
            base_ref=args.base or "main",
            branch=f"cockpit/{dispatch_id}",
            worktree=f"/state/worktrees/{dispatch_id}",
            task=dict(args.task),
            state="queued",
            review="none",
            cost_usd="0.000000",
            tokens=0,
            live=False,
        )

    async def events(self) -> AsyncGenerator[Event, None]:
        yield Hello(pid=0, version="static")
        await forever()

    def pages(self) -> StaticPages:
        return StaticPages(self.receipts)

    def can_attach(self, dispatch_id: str) -> None:
        return None

    def attach(self, dispatch_id: str) -> int:
        self.calls.append(("attach", {"id": dispatch_id}))
        return 0

    def actor(self) -> str:
        return "operator@static"

    def identity(self) -> Identity:
        return Identity(user="operator", host="static")

    async def close(self) -> None:
        return None
