"""Gate and promotion commands: gates, review, approve, reject, replay."""

from __future__ import annotations

import argparse
import sys

from cockpit.cli.common import add_json_flag, print_json
from cockpit.errors import CheckFailed, UsageError
from cockpit.service.client import SupervisorClient
from cockpit.service.identity import inside_worker, operator_actor, operator_identity

GLYPH = {"passed": "✔", "failed": "✘", "error": "!", "running": "…", "not_run": "·", "stale": "~"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gates", help="run a dispatch's required gates now (e.g. an idle interactive worker)")
    p.add_argument("id")
    p.add_argument("--no-wait", action="store_true", help="start them and return at once")
    add_json_flag(p)
    p.set_defaults(handler=cmd_gates)

    p = sub.add_parser("review", help="the diff stat, each gate's result, and what approving will do")
    p.add_argument("id")
    p.add_argument(
        "--strategy",
        choices=["merge", "squash", "rebase"],
        default="merge",
        help="describe approving with this strategy (default merge)",
    )
    add_json_flag(p)
    p.set_defaults(handler=cmd_review)

    p = sub.add_parser("approve", help="promote a dispatch into its target branch (every gate must pass)")
    p.add_argument("id")
    p.add_argument("--strategy", choices=["merge", "squash", "rebase"], default="merge")
    add_json_flag(p)
    p.set_defaults(handler=cmd_approve)

    p = sub.add_parser("reject", help="record a rejection; --send-back gives the reason to the agent")
    p.add_argument("id")
    p.add_argument("--reason", required=True, help="what is wrong (required)")
    p.add_argument("--send-back", action="store_true", help="the agent gets the reason as its next prompt")
    p.set_defaults(handler=cmd_reject)

    p = sub.add_parser("replay", help="re-run the recorded command gates on the recorded diff and compare")
    p.add_argument("id")
    p.add_argument("--review", action="store_true", help="also re-run agent reviews (not deterministic)")
    add_json_flag(p)
    p.set_defaults(handler=cmd_replay)


def _client(ref: str) -> tuple[SupervisorClient, str]:
    from cockpit.cli.workers import client_for

    return client_for(ref)


def print_review(r: dict) -> None:
    diff = r["diff"]
    print(f"{r['id']}  {r['title']}")
    print(f"state {r['state']}, review {r['review']}, target {r['target']}")
    print(f"diff: {len(diff['files'])} file(s), +{diff['added']} -{diff['removed']} (sha256 {diff['sha256'][:16]}…)")
    for f in diff["files"][:40]:
        print(f"  {f['status']} {f['path']}  +{f['added']} -{f['removed']}{' (binary)' if f['binary'] else ''}")
    if len(diff["files"]) > 40:
        print(f"  … and {len(diff['files']) - 40} more")
    print("gates:")
    if not r["gates"]:
        print("  (none required)")
    for g in r["gates"]:
        print(f"  {GLYPH.get(g['status'], '?')} {g['name']:<14} {g['status']:<8} {g['summary']}")
        for f in g["findings"][:20]:
            where = f"{f['file']}:{f['line']}" if f.get("file") and f.get("line") else (f.get("file") or "-")
            print(f"      [{f['severity']}] {where}: {f['message']}")
        if g.get("report"):
            print(f"      report: {g['report']}")
    if r["can_approve"]:
        print(f"approving will {r['will']}")
    else:
        print("approval is blocked:")
        for blocker in r["blockers"]:
            print(f"  - {blocker}")


def cmd_gates(args: argparse.Namespace) -> int:
    client, dispatch_id = _client(args.id)
    started = client.call("gates", id=dispatch_id, wait=not args.no_wait)
    if args.no_wait:
        print_json(started) if args.json else print(f"gates started for {started['id']}: {', '.join(started['gates'])}")
        return 0
    review = client.call("review", id=dispatch_id)
    if args.json:
        print_json(review)
    else:
        print_review(review)
    return 0 if review["can_approve"] else 1


def cmd_review(args: argparse.Namespace) -> int:
    client, dispatch_id = _client(args.id)
    review = client.call("review", id=dispatch_id, strategy=args.strategy)
    if args.json:
        print_json(review)
    else:
        print_review(review)
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    identity = operator_identity()
    worker = inside_worker()
    refusal = CheckFailed(f"refusing to approve from inside worker {worker}'s environment: a worker never approves its own work")
    try:
        client, dispatch_id = _client(args.id)
        # Inside a worker the supervisor refuses too, and records the attempt (approval_refused).
        result = client.call("approve", id=dispatch_id, strategy=args.strategy, identity=identity)
    except CheckFailed:
        raise
    except Exception:
        if worker:  # whatever went wrong, a worker never approves
            raise refusal from None
        raise
    if args.json:
        print_json(result)
    else:
        print(f"promoted {result['id']} into {result['target']} as {result['commit'][:12]} ({result['strategy']})")
        if not result.get("worktree_synced", True):
            print("note: the worktree changed meanwhile, so it was left as it was; its teardown will archive it")
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    if not args.reason.strip():
        raise UsageError("the reason is empty", hint="--reason 'what must change'")
    client, dispatch_id = _client(args.id)
    result = client.call("reject", id=dispatch_id, reason=args.reason, send_back=args.send_back, actor=operator_actor())
    print(f"rejected {result['id']}" + ("; the reason went back to the agent" if result["sent_back"] else ""))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    client, dispatch_id = _client(args.id)
    result = client.call("replay", id=dispatch_id, review=args.review)
    if args.json:
        print_json(result)
        return 0 if result["same"] else 1
    for g in result["gates"]:
        verdict = "same" if g["same"] else "DIFFERENT"
        print(f"{g['gate']:<16} before {g['before']:<7} after {g['after']:<7} {verdict}")
    if result.get("not_replayed"):
        print(f"not replayed: {', '.join(result['not_replayed'])} (see docs/gates.md: replay and its limits)")
    print(f"report: {result['report']}")
    if result["same"]:
        print("all the same")
    else:
        print("some results differ", file=sys.stderr)
    return 0 if result["same"] else 1
