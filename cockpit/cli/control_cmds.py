"""Worker control: `cockpit pause`, `cockpit resume`, and the budget flags of `cockpit dispatch`."""

from __future__ import annotations

import argparse
import sys
from typing import TypedDict

from cockpit.cli.common import add_json_flag, print_json
from cockpit.errors import UsageError
from cockpit.service.client import SupervisorClient
from cockpit.service.identity import operator_actor
from cockpit.service.workspace import Workspace


def register(sub: argparse._SubParsersAction) -> None:
    for name, text in (
        ("pause", "stop a worker's whole process tree where it is (SIGSTOP); it keeps its worktree and session"),
        ("resume", "let a paused worker go on where it was (SIGCONT)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("id", nargs="?", help="the worker (a dispatch id or a unique prefix)")
        p.add_argument("--provider", metavar="P", help=f"{name} every {'running' if name == 'pause' else 'paused'} worker of P")
        p.add_argument("--all", action="store_true", help=f"{name} every {'running' if name == 'pause' else 'paused'} worker")
        add_json_flag(p)
        p.set_defaults(handler=cmd_pause_resume, action=name)


def add_budget_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-tokens", type=_tokens, metavar="N", help="budget: pause (or stop) the worker at N tokens in all")
    p.add_argument("--max-cost", type=_usd, metavar="USD", help="budget: pause (or stop) the worker once it cost USD dollars")
    p.add_argument("--on-budget", choices=["pause", "stop"], help="what a budget does at its limit (default: pause)")


class BudgetFlags(TypedDict, total=False):
    """The budget flags given, as task packet keys."""

    max_tokens: int
    max_cost_micro_usd: int
    on_budget: str


def budget_fields(args: argparse.Namespace) -> BudgetFlags:
    """The budget flags as task packet keys (flags win over the task file)."""
    fields: BudgetFlags = {}
    if args.max_tokens is not None:
        fields["max_tokens"] = args.max_tokens
    if args.max_cost is not None:
        fields["max_cost_micro_usd"] = args.max_cost
    if args.on_budget is not None:
        fields["on_budget"] = args.on_budget
    return fields


def _tokens(text: str) -> int:
    from cockpit.domain.budget import positive_tokens  # pydantic: loaded only when the flag is used

    try:
        return positive_tokens(text, "--max-tokens")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _usd(text: str) -> int:
    from cockpit.domain.budget import usd_to_micro

    try:
        return usd_to_micro(text, "--max-cost")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_pause_resume(args: argparse.Namespace) -> int:
    pausing = args.action == "pause"
    if sum([bool(args.id), bool(args.provider), bool(args.all)]) != 1:
        raise UsageError("give one worker ID, or --provider P, or --all", hint=f"e.g. cockpit {args.action} ID")
    ws = Workspace.open(create=False)
    dispatch_id = None
    if args.id:
        from cockpit.service.logs import resolve_dispatch

        dispatch_id = resolve_dispatch(ws, args.id).id  # an unknown id fails before anything starts
    result = SupervisorClient(ws).call(args.action, id=dispatch_id, provider=args.provider, all=args.all, actor=operator_actor())
    if args.json:
        print_json(result)
    else:
        for item in result["done"]:
            if item.get("already"):
                print(f"{item['id']} was already paused")
            elif pausing:
                print(f"paused {item['id']} ({item['from']}): {item['how']}")
            else:
                print(f"resumed {item['id']} ({item['to']}) after {item['paused_ms'] / 1000:.1f} s paused: {item['how']}")
        for item in result["failed"]:
            print(f"cockpit: {item['error']}", file=sys.stderr)
    return 1 if result["failed"] else 0  # each failure said why, one line each
