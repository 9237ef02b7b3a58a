"""`cockpit permissions`: the inbox of workers' pending permission requests, and deciding them."""

from __future__ import annotations

import argparse

from cockpit.cli.common import add_json_flag, print_json
from cockpit.errors import CheckFailed
from cockpit.service.client import SupervisorClient
from cockpit.service.identity import inside_worker, operator_identity
from cockpit.service.workspace import Workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("permissions", help="workers' pending permission requests; allow or deny one")
    add_json_flag(p, "the pending requests")
    psub = p.add_subparsers(dest="permissions_command", metavar="ACTION")
    for decision in ("allow", "deny"):
        q = psub.add_parser(decision, help=f"{decision} a pending request")
        q.add_argument("request", metavar="REQUEST_ID")
        q.add_argument(
            "--always-for-dispatch", action="store_true", help=f"{decision} this tool for the rest of this dispatch too"
        )
        q.set_defaults(handler=cmd_decide, decision=decision)
    p.set_defaults(handler=cmd_permissions)


def cmd_permissions(args: argparse.Namespace) -> int:
    rows = SupervisorClient(Workspace.open(create=False)).call("permissions")
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no pending permission requests")
        return 0
    print(f"{'REQUEST':<12} {'DISPATCH':<11} {'TOOL':<10} {'AGE':>7}  COMMAND / PATH")
    for r in rows:
        print(
            f"{r['request']:<12} {r['dispatch']:<11} {r['tool']:<10} {r['age_s']:>6.0f}s  "
            f"{r.get('command') or r.get('path') or ''}"
        )
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    if worker := inside_worker():  # refused here, and by the supervisor (it checks the caller too)
        raise CheckFailed(
            f"refusing to decide a permission from inside worker {worker}'s environment: a worker never grants its own requests"
        )
    result = SupervisorClient(Workspace.open(create=False)).call(
        "permission_decide",
        request=args.request,
        decision=args.decision,
        always_for_dispatch=args.always_for_dispatch,
        identity=operator_identity(),
    )
    print(f"{result['decision']}: {result['request']} ({result['reason']})")
    return 0
