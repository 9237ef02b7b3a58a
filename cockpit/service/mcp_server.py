"""`cockpit mcp`: an MCP server (stdio) over the control plane's truth, on the official SDK.

Every tool asks the supervisor through the same client the CLI uses (or reads the
ledger, as `cockpit receipts` does). The tools only read; the one writing tool,
`dispatch_task` (queue a task), exists only when the config enables it. No tool
approves, decides a permission or changes policy: those stay with the operator. Inside a
worker's environment one more tool exists, `permission_prompt` (for claude's
`--permission-prompt-tool`): it asks the supervisor like the PreToolUse hook does.
This module imports the `mcp` SDK at the top, so import it only when it is installed
(`cockpit.cli.mcp_cmd` checks first).
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, Literal, NotRequired, TypedDict

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel

from cockpit import __version__
from cockpit.domain.receipt import Receipt
from cockpit.errors import CockpitError
from cockpit.ledger.checks import VerifyReport
from cockpit.protocol.replies import DiffReply, PendingPermission, PermissionDecision
from cockpit.protocol.views import DispatchView, GateResultRow
from cockpit.protocol.wire import to_wire
from cockpit.service.client import SupervisorClient
from cockpit.service.identity import inside_worker, operator_actor
from cockpit.service.signal_records import HookPayload
from cockpit.service.workspace import Workspace

READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)
READ_TOOLS = ("status", "dispatch", "diff", "gate_results", "receipts_tail", "receipts_verify", "permissions")
MAX_TAIL = 1000


def mcp_actor() -> str:
    """Who a writing call is recorded as: the MCP face, the user, and the worker it came from."""
    actor = f"mcp {operator_actor()}"
    worker = inside_worker()
    return f"{actor} from worker {worker}" if worker else actor


class GateResults(BaseModel):
    """The `gate_results` tool's answer: a dispatch's review state and its gates' latest results."""

    id: str
    review: str
    gates: list[GateResultRow]


class PromptAnswer(TypedDict):
    """claude's --permission-prompt-tool answer: allow (with the tool's input, unchanged) or deny."""

    behavior: Literal["allow", "deny"]
    updatedInput: NotRequired[HookPayload]
    message: NotRequired[str]


class CockpitTools:
    """The tools' bodies, blocking, one supervisor connection used by one call at a time."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._client = SupervisorClient(ws)
        self._lock = threading.Lock()

    def call(self, op: str, **args: Any) -> Any:
        with self._lock:
            return self._client.call(op, **args)

    def status(self, all: bool = True) -> list[DispatchView]:
        return [DispatchView.model_validate(view) for view in self.call("status", all=all)]

    def dispatch(self, id: str) -> DispatchView:
        return DispatchView.model_validate(self.call("show", id=id))

    def diff(self, id: str, patch: bool = True) -> DiffReply:
        return DiffReply.model_validate(self.call("diff", id=id, patch=patch))

    def gate_results(self, id: str) -> GateResults:
        view = self.dispatch(id)
        return GateResults(id=view.id, review=view.review, gates=view.gates or [])

    def receipts_tail(self, n: int = 20, dispatch: str | None = None) -> list[Receipt]:
        from cockpit.ledger import iter_receipts, tail

        n = max(0, min(int(n), MAX_TAIL))
        if dispatch is None:
            return tail(self.ws.state.ledger_dir, n)
        picked = [r for _, r in iter_receipts(self.ws.state.ledger_dir) if r.dispatch == dispatch]
        return picked[-n:] if n else []

    def receipts_verify(self) -> VerifyReport:
        from cockpit.ledger import verify

        return verify(self.ws.state.ledger_dir)

    def permissions(self) -> list[PendingPermission]:
        return [PendingPermission.model_validate(item) for item in self.call("permissions")]

    def dispatch_task(
        self, prompt: str, provider: str | None = None, mode: str | None = None, base: str | None = None
    ) -> DispatchView:
        view = self.call(
            "dispatch",
            prompt=prompt,
            provider=provider,
            mode=mode,
            base=base,
            timeout_s=None,
            priority=0,
            task={},
            task_source="mcp",
            actor=mcp_actor(),
        )
        return DispatchView.model_validate(view)

    def permission_prompt(self, worker: str, tool_name: str, tool_input: HookPayload) -> PromptAnswer:
        """Ask cockpit's policy (and, if it says ask, the operator) on a worker's behalf, and answer
        in claude's --permission-prompt-tool format. A request, never a decision: the supervisor
        decides exactly as for the PreToolUse hook. Blocks until decided or timed out (to deny)."""
        from cockpit.service.permission_hook import ask

        try:
            asked = ask(str(self.ws.state.socket_path), worker, {"tool_name": tool_name, "tool_input": tool_input}, "mcp")
            result = PermissionDecision.model_validate(asked)
        except (OSError, ValueError, RuntimeError) as exc:  # pydantic's ValidationError is a ValueError
            return PromptAnswer(behavior="deny", message=f"cockpit could not ask its supervisor: {exc}")
        reason = f"cockpit {result.request or ''}: {result.reason or ''}".strip()
        if result.decision == "allow":
            return PromptAnswer(behavior="allow", updatedInput=tool_input)
        if result.decision is None:  # no .cockpit/policy.yaml: nobody to ask in a headless run
            reason = "cockpit: no .cockpit/policy.yaml in this repository, so no one can allow it"
        return PromptAnswer(behavior="deny", message=reason)

    def close(self) -> None:
        self._client.close()


def _json_of(value: object) -> object:
    """A tool's answer as JSON data: a reply model as the channel carries it, a receipt whole,
    a verify report as `cockpit receipts verify --json` prints it."""
    if isinstance(value, list):
        return [_json_of(item) for item in value]
    if isinstance(value, Receipt):
        return value.model_dump()
    if isinstance(value, VerifyReport):
        return value.to_json()
    return to_wire(value)


def _text(value: object) -> str:
    return json.dumps(_json_of(value), indent=2, sort_keys=True, default=str)


def build_server(ws: Workspace, *, allow_dispatch: bool) -> tuple[MCPServer, CockpitTools]:
    tools = CockpitTools(ws)
    server = MCPServer(
        name="cockpit",
        version=__version__,
        instructions=(
            "cockpit's control plane: dispatches, their diffs, gate results and the receipt ledger. "
            "Read-only; approving work and deciding permissions stay with the human operator."
        ),
        log_level="WARNING",
    )

    async def run(fn: Any, *args: Any, **kwargs: Any) -> str:
        try:
            return _text(await asyncio.to_thread(fn, *args, **kwargs))
        except CockpitError as exc:  # a clear line for the model, not a traceback
            raise ToolError(str(exc)) from None

    @server.tool(description="Every dispatch in this repository (state, review, provider, tokens, cost).", annotations=READ_ONLY)
    async def status(all: bool = True) -> str:
        return await run(tools.status, all)

    @server.tool(
        description="One dispatch by id (or a unique prefix): its state, review state and gate results.", annotations=READ_ONLY
    )
    async def dispatch(id: str) -> str:
        return await run(tools.dispatch, id)

    @server.tool(
        description="A dispatch's diff against its base: files, line counts, sha256 and the patch.", annotations=READ_ONLY
    )
    async def diff(id: str, patch: bool = True) -> str:
        return await run(tools.diff, id, patch)

    @server.tool(description="The gate results of one dispatch.", annotations=READ_ONLY)
    async def gate_results(id: str) -> str:
        return await run(tools.gate_results, id)

    @server.tool(
        description="The latest receipts of the ledger (optionally of one dispatch id), oldest first.", annotations=READ_ONLY
    )
    async def receipts_tail(n: int = 20, dispatch: str | None = None) -> str:
        return await run(tools.receipts_tail, n, dispatch)

    @server.tool(description="Verify the receipt ledger's hash chain; names the first bad record.", annotations=READ_ONLY)
    async def receipts_verify() -> str:
        return await run(tools.receipts_verify)

    @server.tool(
        description="Pending permission requests from workers (decided by the operator, never here).", annotations=READ_ONLY
    )
    async def permissions() -> str:
        return await run(tools.permissions)

    worker = inside_worker()
    if worker:  # claude's --permission-prompt-tool, from inside a worker (never offered to an operator's client)

        @server.tool(
            description="For the worker's own CLI: asks cockpit's permission policy (or the operator) whether "
            "the tool call may run. Answers {behavior: allow|deny}. It requests; it never decides.",
            annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False),
        )
        async def permission_prompt(tool_name: str, input: HookPayload, tool_use_id: str | None = None) -> str:
            answer = await asyncio.to_thread(tools.permission_prompt, worker, tool_name, input)
            return json.dumps(answer)

    if allow_dispatch:

        @server.tool(
            description="Queue a new dispatch (a task for an agent). It is recorded as coming from "
            "this MCP client; it never approves anything.",
            annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False),
        )
        async def dispatch_task(
            prompt: str, provider: str | None = None, mode: str | None = None, base: str | None = None
        ) -> str:
            return await run(tools.dispatch_task, prompt, provider, mode, base)

    return server, tools
