"""`cockpit mcp`: the MCP server on stdio (the `mcp` SDK is an optional extra)."""

from __future__ import annotations

import argparse
import importlib.util

from cockpit.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mcp", help="serve cockpit's read-only MCP tools on stdio (status, diff, gates, receipts)")
    p.set_defaults(handler=cmd_mcp)


def mcp_installed() -> bool:
    try:
        return importlib.util.find_spec("mcp") is not None
    except (ImportError, ValueError):
        return False


def cmd_mcp(args: argparse.Namespace) -> int:
    if not mcp_installed():
        raise UsageError("`cockpit mcp` needs the MCP SDK: pip install 'cockpit[mcp]'")
    from cockpit.service.mcp_server import build_server
    from cockpit.service.settings import load_settings
    from cockpit.service.workspace import Workspace

    ws = Workspace.open(create=False)
    allow = load_settings(ws.repo.toplevel).mcp_allow_dispatch
    server, tools = build_server(ws, allow_dispatch=allow)
    try:
        server.run("stdio")
    finally:
        tools.close()
    return 0
