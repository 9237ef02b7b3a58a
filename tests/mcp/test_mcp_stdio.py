"""`cockpit mcp` through the SDK's own stdio client, against a real supervisor and the fake agent."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

mcp = pytest.importorskip("mcp", reason="the test extra installs mcp; without it this suite cannot run")

from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

pytestmark = pytest.mark.integration

READ_TOOLS = {"status", "dispatch", "diff", "gate_results", "receipts_tail", "receipts_verify", "permissions"}


def _params(cockpit, extra_env: dict[str, str] | None = None) -> StdioServerParameters:
    names = ("COCKPIT_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "PATH", "HOME", "TMUX_TMPDIR")
    env = {name: os.environ[name] for name in names if name in os.environ}
    return StdioServerParameters(
        command=sys.executable, args=["-m", "cockpit", "mcp"], cwd=str(cockpit.repo), env={**env, **(extra_env or {})}
    )


async def _session(cockpit, body, extra_env: dict[str, str] | None = None):
    async with stdio_client(_params(cockpit, extra_env)) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            return await body(session)


def _json(result) -> object:
    assert not result.is_error, result
    return json.loads(result.content[0].text)


def test_sdk_client_lists_read_only_tools_and_reads_status(cockpit) -> None:
    dispatch_id = cockpit.dispatch("@fake say hello\n@fake write notes/a.txt one")
    cockpit.wait(dispatch_id)

    async def body(session: ClientSession):
        tools = (await session.list_tools()).tools
        status = _json(await session.call_tool("status", {}))
        one = _json(await session.call_tool("dispatch", {"id": dispatch_id[:6]}))
        diff = _json(await session.call_tool("diff", {"id": dispatch_id}))
        tail = _json(await session.call_tool("receipts_tail", {"n": 3}))
        verified = _json(await session.call_tool("receipts_verify", {}))
        pending = _json(await session.call_tool("permissions", {}))
        unknown = await session.call_tool("dispatch", {"id": "zzzzzzzz"})
        return tools, status, one, diff, tail, verified, pending, unknown

    tools, status, one, diff, tail, verified, pending, unknown = asyncio.run(_session(cockpit, body))
    names = {tool.name for tool in tools}
    assert names == READ_TOOLS  # no writing tool unless the config enables it
    assert all(tool.annotations and tool.annotations.read_only_hint for tool in tools)
    assert not any("approve" in tool.name or "allow" in tool.name or "policy" in tool.name for tool in tools)
    assert [row["id"] for row in status] == [dispatch_id]
    assert status[0]["state"] == "exited"
    assert one["id"] == dispatch_id and "gates" in one
    assert [f["path"] for f in diff["files"]] == ["notes/a.txt"]
    assert len(tail) == 3 and tail[-1]["seq"] == cockpit.receipts()[-1].seq
    assert verified["ok"] is True
    assert pending == []
    assert unknown.is_error and "no dispatch 'zzzzzzzz'" in unknown.content[0].text


def test_dispatch_task_only_when_enabled_and_marked_from_a_worker(cockpit, tmp_path: Path) -> None:
    config = cockpit.repo / ".cockpit" / "config.yaml"
    config.parent.mkdir(exist_ok=True)
    config.write_text("mcp: {allow_dispatch: true}\n")

    async def body(session: ClientSession):
        names = {tool.name for tool in (await session.list_tools()).tools}
        view = _json(await session.call_tool("dispatch_task", {"prompt": "@fake say from mcp"}))
        return names, view

    names, view = asyncio.run(_session(cockpit, body, {"COCKPIT_WORKER_ID": "w-123"}))
    assert names == READ_TOOLS | {"dispatch_task", "permission_prompt"}  # the latter: inside a worker only
    created = [r for r in cockpit.receipts(view["id"]) if r.kind == "dispatch_created"]
    assert len(created) == 1
    assert created[0].actor.startswith("mcp ") and created[0].actor.endswith("from worker w-123")
    cockpit.wait(view["id"])


def test_without_the_sdk_one_line_and_exit_2(repo: Path, tmp_path: Path) -> None:
    # A `mcp` module that cannot be found: sys.meta_path blocks it in the child process.
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(
        "import sys\n"
        "class _NoMcp:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'mcp' or name.startswith('mcp.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, _NoMcp())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "cockpit", "mcp"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["cockpit: `cockpit mcp` needs the MCP SDK: pip install 'cockpit[mcp]'"]


def test_permissions_tool_lists_a_pending_request_and_cannot_decide_it(cockpit) -> None:
    (cockpit.repo / ".cockpit").mkdir(exist_ok=True)
    (cockpit.repo / ".cockpit" / "policy.yaml").write_text("rules: []\n")
    dispatch_id = cockpit.dispatch("@fake ask Proceed?")
    cockpit.wait(dispatch_id, until="waiting")
    payload = {"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "make deploy"}}
    env = {**os.environ, "COCKPIT_SOCKET": str(cockpit.ws.state.socket_path), "COCKPIT_DISPATCH_ID": dispatch_id}
    hook = subprocess.Popen(
        [sys.executable, "-m", "cockpit.service.permission_hook"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    hook.stdin.write(json.dumps(payload))
    hook.stdin.close()

    async def body(session: ClientSession):
        for _ in range(600):
            pending = _json(await session.call_tool("permissions", {}))
            if pending:
                break
            await asyncio.sleep(0.1)
        names = {tool.name for tool in (await session.list_tools()).tools}
        return pending, names

    pending, names = asyncio.run(_session(cockpit, body))
    assert [(p["dispatch"], p["command"]) for p in pending] == [(dispatch_id, "make deploy")]
    assert names == READ_TOOLS  # nothing that could allow it
    cockpit.run("permissions", "deny", pending[0]["request"], check=True)
    assert json.loads(hook.stdout.read())["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert hook.wait(timeout=60) == 0
    cockpit.run("kill", dispatch_id)


PROMPT_POLICY = """\
rules:
  - id: allow-touch
    tool: Bash
    command: "touch allowed-*"
    decision: allow
"""


def test_permission_prompt_asks_the_policy_then_the_operator_from_inside_a_worker(cockpit) -> None:
    """claude's --permission-prompt-tool, called as claude calls it (from the worker's environment)."""
    (cockpit.repo / ".cockpit").mkdir(exist_ok=True)
    (cockpit.repo / ".cockpit" / "policy.yaml").write_text(PROMPT_POLICY)
    dispatch_id = cockpit.dispatch("@fake ask Proceed?")
    cockpit.wait(dispatch_id, until="waiting")
    allowed_input = {"command": "touch allowed-1"}
    asked_input = {"command": "touch other-1"}

    async def body(session: ClientSession):
        ruled = json.loads(
            (await session.call_tool("permission_prompt", {"tool_name": "Bash", "input": allowed_input})).content[0].text
        )

        def operator_allows() -> str:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                rows = json.loads(cockpit.run("permissions", "--json", check=True).stdout)
                if rows:
                    assert [(r["tool"], r["command"], r["source"]) for r in rows] == [("Bash", "touch other-1", "mcp")]
                    cockpit.run("permissions", "allow", rows[0]["request"], check=True)
                    return rows[0]["request"]
                time.sleep(0.1)
            raise AssertionError("the request never reached the inbox")

        call = asyncio.ensure_future(session.call_tool("permission_prompt", {"tool_name": "Bash", "input": asked_input}))
        request = await asyncio.to_thread(operator_allows)
        asked = json.loads((await call).content[0].text)
        return ruled, asked, request

    try:
        ruled, asked, request = asyncio.run(_session(cockpit, body, {"COCKPIT_WORKER_ID": dispatch_id}))
    finally:
        cockpit.run("kill", dispatch_id)
    assert ruled == {"behavior": "allow", "updatedInput": allowed_input}
    assert asked == {"behavior": "allow", "updatedInput": asked_input}
    decided = [(r.data["request"], r.data["by"]) for r in cockpit.receipts(dispatch_id) if r.kind == "permission_decided"]
    assert decided[0][1] == "policy" and decided[1] == (request, "operator")


def test_permission_prompt_is_not_offered_outside_a_worker(cockpit) -> None:
    async def body(session: ClientSession):
        return {tool.name for tool in (await session.list_tools()).tools}

    assert "permission_prompt" not in asyncio.run(_session(cockpit, body))
