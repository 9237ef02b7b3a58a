"""Permission requests as records: asked by a worker's CLI hook, decided by policy or operator.

A request arrives as `permission_request` (from cockpit/service/permission_hook.py, which
claude's PreToolUse hook runs): it is receipted (`permission_requested`), judged by
`.cockpit/policy.yaml` from the main checkout, and either decided at once by a rule or left
pending for the operator (`cockpit permissions allow|deny ID`) until it times out to deny.
Every decision is receipted (`permission_decided`) with the rule id, the operator, or `timeout`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cockpit.domain.dispatch import WorkerState
from cockpit.domain.policy import decide
from cockpit.errors import CheckFailed, CockpitError, UsageError
from cockpit.protocol import requests as req
from cockpit.protocol.errors import ErrorCode
from cockpit.protocol.events import Event, PermissionsPending, ReceiptAppended
from cockpit.protocol.replies import PendingPermission, PermissionDecision
from cockpit.runtime.gate_config import load_gates
from cockpit.runtime.policy_file import load_policy, policy_path
from cockpit.service.channel import OpHandler, Peer
from cockpit.service.context import log
from cockpit.service.extensions import Extension
from cockpit.service.signal_records import HookPayload

MAX_WORDS = 2000
WORKER_ENDED = ("exited", "killed", "timed_out", "lost")  # the CLI's own words about the request, kept in the receipt


@dataclass
class Pending:
    id: str
    dispatch: str
    tool: str
    command: str | None
    path: str | None
    asked_at: float
    future: asyncio.Future[PermissionDecision] = field(repr=False)
    source: str = "hook"  # "screen": the CLI's own dialog waits, answered with the catalog's keys

    def view(self, now: float) -> PendingPermission:
        return PendingPermission(
            request=self.id,
            dispatch=self.dispatch,
            tool=self.tool,
            command=self.command,
            path=self.path,
            age_s=round(now - self.asked_at, 1),
            source=self.source,
        )


# gemini's ToolPermission notification says what it asks in `details` (type exec|edit|mcp);
# the tool is named as its dialog names it ("Allow execution of [Shell]?").
GEMINI_TOOLS = {"exec": "Shell", "edit": "Edit"}


def request_fields(payload: HookPayload, worktree: str | None) -> tuple[str, str | None, str | None]:
    """(tool, command, path relative to the worktree) from the CLI's hook or notification payload."""
    details = found if isinstance(found := payload.get("details"), dict) else None
    if details is not None and "tool_name" not in payload:
        kind = str(details.get("type") or "")
        tool = GEMINI_TOOLS.get(kind) or str(details.get("toolName") or details.get("title") or "?")
        tool_input = {"command": details.get("command"), "file_path": details.get("filePath")}
    else:
        tool = str(payload.get("tool_name") or "?")
        tool_input = found if isinstance(found := payload.get("tool_input"), dict) else {}
    command = tool_input.get("command")
    raw_path = tool_input.get("file_path") or tool_input.get("notebook_path") or tool_input.get("path")
    path = None
    if isinstance(raw_path, str) and raw_path:
        path = raw_path
        if worktree and os.path.isabs(raw_path):
            try:
                path = str(Path(raw_path).resolve().relative_to(Path(worktree).resolve()))
            except ValueError:
                path = raw_path  # outside the worktree: matched as given (no relative glob matches it)
    return tool, command if isinstance(command, str) else None, path


class PermissionService(Extension):
    """A supervisor extension: requests, the pending inbox, and decisions."""

    def __init__(self) -> None:
        self.pending: dict[str, Pending] = {}
        self.decided: dict[str, str] = {}  # request id -> decision, for this supervisor's life
        self.always: dict[str, dict[str, str]] = {}  # dispatch -> tool -> decision (--always-for-dispatch)
        self._counter = itertools.count(1)
        self._screen_tasks: set[asyncio.Task[None]] = set()
        self.ops: dict[str, OpHandler] = {
            "permission_request": self.request,
            "permissions": self.list_pending,
            "permission_decide": self.operator_decide,
        }

    def bind(self, sup: Any) -> None:
        self.sup = sup
        self.ctx = sup.ctx

    def _new_id(self) -> str:
        return f"p{int(time.time()) % 100000:05d}{next(self._counter):03d}"

    async def request(self, args: req.PermissionRequest, peer: Peer) -> PermissionDecision:
        """From a CLI's hook (permission_hook.py): the decision is the reply, given to the hook."""
        dispatch_id = self.sup.ops.resolve(args.dispatch)
        timeout = float(args.timeout_s or self.ctx.config.permission_timeout_s)
        return await self.ask(dispatch_id, args.payload, source=args.source or "hook", timeout=timeout)

    async def ask(self, dispatch_id: str, payload: HookPayload, *, source: str, timeout: float) -> PermissionDecision:
        """Receipt a request, judge it by the policy, else wait for the operator (or the timeout)."""
        ctx = self.ctx
        d = ctx.dispatch(dispatch_id)
        tool, command, path = request_fields(payload, d.worktree)
        root = ctx.ws.repo.toplevel
        if not policy_path(root).exists():  # no policy: the CLI asks on its own screen, as before
            return PermissionDecision(request=None, decision=None, reason="no .cockpit/policy.yaml")
        broken: str | None
        try:
            policy = await asyncio.to_thread(load_policy, root)
            protected = list((await asyncio.to_thread(load_gates, root)).protected_paths)
        except UsageError as exc:  # a broken policy decides nothing: the operator does
            policy, protected, broken = None, [], str(exc)
        else:
            broken = None
        ruling = (
            decide(policy, tool=tool, command=command, path=path, provider=d.provider, protected=protected)
            if policy is not None
            else None
        )
        request_id = self._new_id()
        words = str(payload.get("tool_input") or payload.get("details") or payload.get("message") or "")[:MAX_WORDS]
        ctx.record(
            "permission_requested",
            dispatch_id,
            request=request_id,
            tool=tool,
            command=command,
            path=path,
            words=words,
            source=source,
            policy=ruling.reason if ruling else f"policy unreadable: {broken}",
        )
        if ruling is not None and ruling.decision in ("allow", "deny"):
            ctx.record(
                "permission_decided", dispatch_id, request=request_id, decision=ruling.decision, by="policy", rule=ruling.rule
            )
            self.decided[request_id] = ruling.decision
            return PermissionDecision(
                request=request_id, decision=ruling.decision, reason=ruling.reason, by=f"policy {ruling.rule}"
            )
        standing = self.always.get(dispatch_id, {}).get(tool)
        if standing is not None and not (ruling is not None and ruling.decision == "ask" and ruling.rule):
            ctx.record(
                "permission_decided", dispatch_id, request=request_id, decision=standing, by="operator_always_for_dispatch"
            )
            self.decided[request_id] = standing
            return PermissionDecision(request=request_id, decision=standing, reason="decided for this dispatch", by="supervisor")
        loop = asyncio.get_running_loop()
        item = Pending(request_id, dispatch_id, tool, command, path, time.monotonic(), loop.create_future(), source)
        self.pending[request_id] = item
        ctx.bus.publish(PermissionsPending(pending=len(self.pending)))
        try:
            return await asyncio.wait_for(asyncio.shield(item.future), timeout)
        except TimeoutError:
            if self.pending.pop(request_id, None) is not None:
                ctx.record(
                    "permission_decided",
                    dispatch_id,
                    request=request_id,
                    decision="deny",
                    by="timeout",
                    after_ms=int(timeout * 1000),
                )
                self.decided[request_id] = "deny"
            return PermissionDecision(
                request=request_id, decision="deny", reason=f"no decision within {timeout:g} s", by="supervisor"
            )
        finally:
            self.pending.pop(request_id, None)

    async def on_start(self) -> None:
        self.ctx.bus.listeners.append(self._on_event)
        self.ctx.permission_askers.append(self._asked_on_screen)

    # -- questions a CLI asks on its own screen (gemini) -------------------------------------

    def _asked_on_screen(self, dispatch_id: str, payload: HookPayload) -> None:
        task = asyncio.get_running_loop().create_task(self._decide_on_screen(dispatch_id, payload))
        self._screen_tasks.add(task)
        task.add_done_callback(self._screen_tasks.discard)

    async def _decide_on_screen(self, dispatch_id: str, payload: HookPayload) -> None:
        """The CLI's dialog waits on its screen: decide it like a hook's request, then answer the
        dialog with the catalog's `permission` keys (allow: yes, deny: no). Without a policy the
        operator answers the screen as before (y / shift+y, `cockpit send --key`)."""
        try:
            result = await self.ask(dispatch_id, payload, source="screen", timeout=self.ctx.config.permission_timeout_s)
            decision = result.decision
            if decision not in ("allow", "deny"):
                return
            d = self.ctx.ws.store.dispatch(dispatch_id)
            if d is None or d.state != WorkerState.WAITING:  # answered on the worker's own screen meanwhile
                return
            key = "y" if decision == "allow" else "n"
            await self.sup.workers.input.send(dispatch_id, text=None, key=key, enter=False, actor=str(result.by))
        except CockpitError as exc:  # the worker ended or its screen changed: nothing left to answer
            log.warning("could not answer the permission dialog of %s: %s", dispatch_id, exc.message)

    def _on_event(self, event: Event) -> None:
        receipt = event.receipt if isinstance(event, ReceiptAppended) else None
        if receipt is None or receipt.dispatch is None or not any(p.dispatch == receipt.dispatch for p in self.pending.values()):
            return
        kind, dispatch_id, data = receipt.kind, receipt.dispatch, receipt.data
        loop = asyncio.get_running_loop()
        if kind in WORKER_ENDED:
            loop.call_soon(self._close_for, dispatch_id)
        elif kind == "answered":  # the operator answered the dialog itself (y / shift+y, send --key)
            decision = "allow" if data.get("answer") == "yes" else "deny"
            loop.call_soon(self._answered_on_screen, dispatch_id, decision, "operator_on_screen", receipt.actor)
        elif kind == "status_changed" and data.get("from") == "waiting":  # keys typed in the attached session
            loop.call_soon(self._answered_on_screen, dispatch_id, "unknown", "worker_screen", None)

    def _answered_on_screen(self, dispatch_id: str, decision: str, by: str, actor: str | None) -> None:
        """A dialog answered on the worker's screen is no longer the inbox's to decide."""
        for item in [p for p in self.pending.values() if p.dispatch == dispatch_id and p.source == "screen"]:
            self.pending.pop(item.id, None)
            extra = {"actor": actor} if actor else {}
            self.ctx.record("permission_decided", dispatch_id, request=item.id, decision=decision, by=by, **extra)
            self.decided[item.id] = decision
            if not item.future.done():
                item.future.set_result(
                    PermissionDecision(request=item.id, decision=None, reason=f"answered on the screen ({by})")
                )

    def _close_for(self, dispatch_id: str) -> None:
        """A worker that ended cannot use an answer: its pending requests are closed as denied."""
        for item in [p for p in self.pending.values() if p.dispatch == dispatch_id]:
            self.pending.pop(item.id, None)
            self.ctx.record("permission_decided", dispatch_id, request=item.id, decision="deny", by="worker_ended")
            self.decided[item.id] = "deny"
            if not item.future.done():
                item.future.set_result(PermissionDecision(request=item.id, decision="deny", reason="the worker ended"))

    async def list_pending(self, args: req.Permissions, peer: Peer) -> list[PendingPermission]:
        now = time.monotonic()
        return [p.view(now) for p in sorted(self.pending.values(), key=lambda p: p.asked_at)]

    async def operator_decide(self, args: req.PermissionDecide, peer: Peer) -> PermissionDecision:
        from cockpit.service.promotion_ops import worker_of_peer

        request_id = args.request
        decision = args.decision
        if decision not in ("allow", "deny"):
            raise UsageError(f"unknown decision {decision!r}", hint="allow or deny")
        identity = args.identity.model_dump(exclude_unset=True)  # receipted as the client sent it
        item = self.pending.get(request_id)
        if item is None:
            earlier = self.decided.get(request_id) or await asyncio.to_thread(self._decided_in_ledger, request_id)
            if earlier:
                raise CheckFailed(f"permission request {request_id} was already decided ({earlier})", code=ErrorCode.CONFLICT)
            raise UsageError(
                f"no pending permission request {request_id!r}", hint="`cockpit permissions` lists them", code=ErrorCode.NOT_FOUND
            )
        worker = await worker_of_peer(self.ctx, peer, args.identity)  # same test as approvals
        if worker is not None:
            raise CheckFailed(
                f"refusing to decide a permission from inside worker {worker}'s environment: "
                "a worker never grants its own requests",
                hint="decide from your own terminal",
            )
        actor = f"{args.identity.user}@{args.identity.host}"
        always = args.always_for_dispatch
        self.pending.pop(request_id, None)
        self.ctx.record(
            "permission_decided",
            item.dispatch,
            actor=actor,
            request=request_id,
            decision=decision,
            by="operator",
            identity=identity,
            always_for_dispatch=always,
        )
        self.decided[request_id] = decision
        result = PermissionDecision(request=request_id, decision=decision, reason=f"{decision} by {actor}", by=actor)
        if not item.future.done():
            item.future.set_result(result)
        if always:  # the same tool for this dispatch, now pending: the same answer
            for other in [p for p in self.pending.values() if p.dispatch == item.dispatch and p.tool == item.tool]:
                await self.operator_decide(args.model_copy(update={"request": other.id, "always_for_dispatch": False}), peer)
            self.always.setdefault(item.dispatch, {})[item.tool] = decision
        return result

    def _decided_in_ledger(self, request_id: str) -> str | None:
        """A decision recorded by an earlier supervisor (this one keeps only its own in memory)."""
        from cockpit.ledger import iter_receipts

        found = None
        for _, receipt in iter_receipts(self.ctx.ws.state.ledger_dir):
            if receipt.kind == "permission_decided" and receipt.data.get("request") == request_id:
                found = str(receipt.data.get("decision"))
        return found
