"""`cockpit hosts`: the SSH hosts that can run workers, and what each one has."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cockpit.cli.common import add_json_flag, print_json
from cockpit.errors import UsageError
from cockpit.service.workspace import Workspace

if TYPE_CHECKING:
    from cockpit.domain.hosts import HostProbe


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hosts", help="probe the SSH hosts in hosts.yaml: reachable, tools, CLIs, disk, workers")
    p.add_argument("names", nargs="*", metavar="NAME", help="only these hosts (default: all)")
    add_json_flag(p, "each host's probe")
    p.set_defaults(handler=cmd_hosts)


def cmd_hosts(args: argparse.Namespace) -> int:
    try:
        root = Workspace.open(create=False).repo.toplevel
    except UsageError:
        root = None  # outside a repository: the user's hosts file alone
    from cockpit.service.hosts import probe_hosts  # pydantic: loaded only by this command

    probes = probe_hosts(root, list(args.names))
    if args.json:
        print_json([{**p.model_dump(), "usable": p.usable} for p in probes])
        return 0
    if not probes:
        print("no hosts configured: add them to ~/.config/cockpit/hosts.yaml (see docs/hosts.md)")
        return 0
    print(f"{'HOST':<12} {'STATE':<11} {'LATENCY':>8} {'WORKERS':>8} {'FREE':>8}  {'TMUX':<10} {'GIT':<10} CLIS")
    for p in probes:
        print(_row(p))
        for problem in p.problems:
            print(f"{'':<12} {problem}")
    return 0


def _row(p: HostProbe) -> str:
    state = "usable" if p.usable else ("unreachable" if not p.reachable else "unusable")
    latency = f"{p.latency_ms:.0f}ms" if p.latency_ms is not None else "-"
    workers = f"{p.running_workers}/{p.capacity}" if p.running_workers is not None else f"-/{p.capacity}"
    free = _size(p.free_disk_bytes)
    tmux = (p.tmux or "-").removeprefix("tmux ")
    git = (p.git or "-").removeprefix("git version ")
    clis = ", ".join(f"{c.name} {_short_version(c.version)}".strip() for c in p.providers if c.path) or "-"
    return f"{p.name:<12} {state:<11} {latency:>8} {workers:>8} {free:>8}  {tmux[:10]:<10} {git[:10]:<10} {clis}"


def _size(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "K", "M", "G", "T"):
        if size < 1024 or unit == "T":
            return f"{size:.0f}{unit}" if unit in ("B", "K") else f"{size:.1f}{unit}"
        size /= 1024
    return "-"


def _short_version(version: str | None) -> str:
    from cockpit.domain.provider import version_number

    return version_number(version) or ""
