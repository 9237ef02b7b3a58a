"""Worker commands: supervise, dispatch, status, wait, send, logs, kill, teardown, restore, attach, providers."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import NotRequired, TypedDict

from cockpit.cli.common import add_json_flag, positive_float, print_json
from cockpit.cli.control_cmds import add_budget_flags, budget_fields
from cockpit.errors import CheckFailed, UsageError
from cockpit.service.client import SupervisorClient
from cockpit.service.identity import operator_actor
from cockpit.service.workspace import Workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("supervise", help="run this repository's supervisor in the foreground")
    p.add_argument(
        "--idle-exit",
        type=float,
        default=0,
        metavar="S",
        help="leave after S seconds with no workers and no clients (default: never)",
    )
    p.add_argument("--stop", action="store_true", help="ask the running supervisor to stop (workers go on)")
    p.set_defaults(handler=cmd_supervise)

    p = sub.add_parser("dispatch", help="give a task to an agent in a new worktree and tmux session")
    p.add_argument("prompt", nargs="?", help="the prompt ('-' reads it from stdin)")
    p.add_argument(
        "--provider",
        help="the agent to use (see `cockpit providers`; default: default_provider in .cockpit/config.yaml, else fake)",
    )
    p.add_argument("--base", metavar="REF", help="branch, tag or commit to start from (default: HEAD)")
    p.add_argument("--timeout", type=positive_float, metavar="S", help="stop the worker after S seconds")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--headless", dest="mode", action="store_const", const="headless", help="prompt by argument or stdin, exits when done"
    )
    mode.add_argument(
        "--interactive",
        dest="mode",
        action="store_const",
        const="interactive",
        help="the agent's own TUI; the prompt is typed in once it is ready",
    )
    p.add_argument("--priority", type=int, default=0, help="higher starts first (default 0)")
    p.add_argument("--task", type=Path, metavar="FILE", help="a YAML task packet (see docs/gates.md)")
    p.add_argument("--accept", action="append", metavar="CMD", help="an acceptance command (repeatable)")
    p.add_argument("--allow", action="append", metavar="GLOB", help="a path the worker may change (repeatable)")
    p.add_argument("--risk", choices=["low", "medium", "high", "critical"], help="picks the required gates")
    p.add_argument("--gate", action="append", metavar="NAME", help="a configured gate to require (repeatable)")
    p.add_argument("--target", metavar="BRANCH", help="the branch to promote into (default: the checked-out one)")
    add_budget_flags(p)
    p.add_argument(
        "--skill", metavar="NAME", help="a skill of .cockpit/skills: its role and method frame the prompt (docs/skills.md)"
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--host", metavar="NAME", help="run it on this SSH host from hosts.yaml (see docs/hosts.md)")
    where.add_argument("--label", metavar="L", help="run it on the first SSH host with label L that fits")
    add_json_flag(p, "the dispatch")
    p.set_defaults(handler=cmd_dispatch)

    p = sub.add_parser("status", help="list dispatches and their state")
    p.add_argument("--all", action="store_true", help="include torn-down dispatches")
    add_json_flag(p, "the list")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("wait", help="wait until a dispatch reaches a state (exit 1 on timeout)")
    p.add_argument("id")
    p.add_argument(
        "--until",
        default="final",
        metavar="STATE",
        help="a state (working, waiting, idle, exited, awaiting_approval, ...) or 'final' (default)",
    )
    p.add_argument("--timeout", type=positive_float, metavar="S")
    p.set_defaults(handler=cmd_wait)

    p = sub.add_parser("send", help="type text (and Enter) into a worker, or press one key")
    p.add_argument("id")
    p.add_argument("text", nargs="?")
    p.add_argument("--key", help="a single key, such as y or Enter")
    p.add_argument("--no-enter", action="store_true", help="do not press Enter after the text")
    p.set_defaults(handler=cmd_send)

    p = sub.add_parser("logs", help="print a worker's output")
    p.add_argument("id")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing until the worker ends")
    p.set_defaults(handler=cmd_logs)

    for name, text in (
        ("kill", "stop a worker (its worktree is kept)"),
        ("teardown", "remove a worktree and branch, archiving any work first"),
        ("restore", "bring an archived dispatch back as a worktree"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("id")
        if name == "restore":
            p.add_argument("--host", metavar="NAME", help="bring it back on this SSH host from hosts.yaml (docs/hosts.md)")
        add_json_flag(p)
        p.set_defaults(handler=cmd_action, action=name)

    p = sub.add_parser("attach", help="attach this terminal to a worker's tmux session (detach: C-b d)")
    p.add_argument("id")
    p.set_defaults(handler=cmd_attach)

    p = sub.add_parser(
        "providers",
        help="list the agent CLIs in the catalog, found or missing, with versions; `providers verify` checks them offline",
    )
    add_json_flag(p, "the list")
    p.set_defaults(handler=cmd_providers)
    from cockpit.cli.verify_cmds import add_verify

    add_verify(p)


def _client() -> tuple[Workspace, SupervisorClient]:
    ws = Workspace.open()
    return ws, SupervisorClient(ws)


def client_for(ref: str) -> tuple[SupervisorClient, str]:
    """Resolve a dispatch id locally first, so an unknown id fails before anything starts."""
    from cockpit.service.logs import resolve_dispatch

    ws = Workspace.open(create=False)
    return SupervisorClient(ws), resolve_dispatch(ws, ref).id


def cmd_supervise(args: argparse.Namespace) -> int:
    ws = Workspace.open()
    if args.stop:
        result = SupervisorClient(ws, autostart=False).call("shutdown")
        print(f"supervisor stopping; {result['live_workers_keep_running']} worker(s) keep running in tmux")
        return 0
    from cockpit.service.extensions import default_extensions
    from cockpit.service.supervisor import run_supervisor

    return run_supervisor(ws, idle_exit=args.idle_exit or None, extensions=default_extensions())


def read_prompt_arg(prompt: str | None) -> str | None:
    if prompt != "-":
        return prompt
    raw = sys.stdin.buffer.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("the prompt on stdin is not UTF-8 text") from None


def task_fields(args: argparse.Namespace) -> dict[str, object]:
    """The task packet's keys from the task file and the flags: any values until the task
    packet's model checks them (here when no supervisor runs, else in the supervisor)."""
    fields: dict[str, object] = {}
    if args.task:
        from cockpit.service.dispatching import load_task_file

        fields = load_task_file(args.task)
    for flag, key in (("accept", "acceptance"), ("allow", "allowed_paths"), ("gate", "gates")):
        values = getattr(args, flag)
        if values:
            given = fields.get(key, [])
            if not isinstance(given, list):
                raise UsageError(f"{args.task}: {key}: must be a list, to add --{flag} values to it")
            fields[key] = [*given, *values]
    if args.risk:
        fields["risk"] = args.risk
    if args.target:
        fields["target"] = args.target
    budget = budget_fields(args)
    if "max_cost_micro_usd" in budget:
        fields.pop("max_cost_usd", None)  # the flag wins over the task file
    fields.update(budget)
    if args.skill:
        fields["skill"] = args.skill
    return fields


def cmd_dispatch(args: argparse.Namespace) -> int:
    from cockpit.service.client import supervisor_answers

    prompt = read_prompt_arg(args.prompt)
    fields = task_fields(args)
    ws = Workspace.open(create=False)
    if not supervisor_answers(ws):
        # Validate here first, so bad input fails before a supervisor is started or anything created.
        # (A running supervisor validates everything itself before it writes anything.)
        from cockpit.runtime.providers import load_catalog
        from cockpit.service import placement
        from cockpit.service.dispatching import build_task, prepare
        from cockpit.service.settings import load_config

        task = build_task(fields, str(args.task) if args.task else "task")
        catalog = load_catalog(ws.repo.toplevel)
        explicit = args.host is not None or args.label is not None
        auto = not explicit and placement.hosts_configured(ws.repo.toplevel)
        prepared = prepare(
            ws.git,
            catalog,
            task=task,
            prompt=prompt,
            provider=args.provider,
            mode=args.mode,
            base=args.base,
            timeout_s=args.timeout,
            priority=args.priority,
            prompt_file=Path("/dev/null"),
            default_provider=load_config(ws.repo.toplevel).default_provider,
            on_host=explicit or auto,
        )
        if explicit:
            # Unknown host, bad hosts.yaml, no host that fits (probed, read only): exit 2.
            placement.plan(ws.repo.toplevel, catalog, prepared.provider.name, args.host, args.label)
        elif auto and not placement.local_has_provider(prepared.provider):
            # Automatic placement refuses only when no executor has the provider (probed, read only).
            placement.plan_auto(ws.repo.toplevel, catalog, prepared.provider.name, local_busy=0, max_workers=1)
    ws.state.ensure()
    view = SupervisorClient(ws).call(
        "dispatch",
        prompt=prompt,
        provider=args.provider,
        mode=args.mode,
        base=args.base,
        timeout_s=args.timeout,
        priority=args.priority,
        task=fields,
        task_source=str(args.task) if args.task else "task",
        actor=operator_actor(),
        **({"host": args.host} if args.host else {}),
        **({"label": args.label} if args.label else {}),
    )
    if args.json:
        print_json(view)
    else:
        print(view["id"])
    return 0


def _fmt_elapsed(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def cmd_status(args: argparse.Namespace) -> int:
    ws, client = _client()
    rows = client.call("status", all=args.all)
    if args.json:
        print_json(rows)
        return 0
    print_status(rows)
    return 0


class StatusRow(TypedDict):
    """What the status table shows of a dispatch (the `status` reply's fields, docs/cli-json.md)."""

    id: str
    state: str
    exit_code: int | None
    review: str
    provider: str
    elapsed_s: float | None
    tokens: int
    cost_usd: str
    title: str
    state_detail: NotRequired[str | None]
    error: NotRequired[str | None]
    live: NotRequired[bool]


def print_status(rows: list[StatusRow]) -> None:
    if not rows:
        print("no dispatches yet: try `cockpit dispatch 'your task'` or `cockpit demo`")
        return
    states = {r["id"]: _state_text(r) for r in rows}
    width = max(10, *map(len, states.values()))
    print(f"{'ID':<11} {'STATE':<{width}} {'REVIEW':<18} {'PROVIDER':<9} {'ELAPSED':>8} {'TOKENS':>8} {'COST':>10}  TITLE")
    for r in rows:
        print(
            f"{r['id']:<11} {states[r['id']]:<{width}} {r['review']:<18} {r['provider']:<9} "
            f"{_fmt_elapsed(r['elapsed_s']):>8} {r['tokens']:>8} {'$' + r['cost_usd'][:8]:>10}  {r['title']}"
        )
        if r.get("error") and not r.get("live"):
            print(f"{'':<11} error: {r['error']}")


def _state_text(r: StatusRow) -> str:
    state = r["state"] + (f"({r['exit_code']})" if r["state"] == "exited" else "")
    return f"{state}, {r['state_detail']}" if r.get("state_detail") else state


def cmd_wait(args: argparse.Namespace) -> int:
    client, dispatch_id = client_for(args.id)
    result = client.call("wait", id=dispatch_id, until=args.until, timeout=args.timeout)
    if result["reached"]:
        print(f"{result['id']} reached {result['until']} (state {result['state']})")
        return 0
    print(f"{result['id']} did not reach {result['until']} (state {result['state']})", file=sys.stderr)
    return 1


def cmd_send(args: argparse.Namespace) -> int:
    if (args.text is None) == (args.key is None):
        raise UsageError("give either TEXT or --key KEY", hint="e.g. cockpit send ID --key y")
    client, dispatch_id = client_for(args.id)
    result = client.call("send", id=dispatch_id, text=args.text, key=args.key, enter=not args.no_enter, actor=operator_actor())
    if isinstance(result, dict) and result.get("answered"):
        print(f"answered {result['answered']} to {dispatch_id}'s {result['prompt']} prompt: sent keys {' '.join(result['keys'])}")
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    from cockpit.service.logs import follow_log, resolve_dispatch

    ws = Workspace.open(create=False)
    d = resolve_dispatch(ws, args.id)
    out = sys.stdout.buffer
    for chunk in follow_log(ws, d.id, follow=args.follow):
        out.write(chunk)
        out.flush()
    return 0


def cmd_action(args: argparse.Namespace) -> int:
    client, dispatch_id = client_for(args.id)
    host = getattr(args, "host", None)
    if host is not None:  # an unknown host fails before a supervisor is started
        from cockpit.runtime.hosts_config import load_hosts
        from cockpit.service.placement import check_request

        check_request(load_hosts(client.ws.repo.toplevel), host, None)
    result = client.call(args.action, id=dispatch_id, actor=operator_actor(), **({"host": host} if host else {}))
    if args.json:
        print_json(result)
    elif args.action == "kill":
        if result["killed"]:
            print(f"killed {result['id']}: {result.get('how') or 'its tmux session was closed'}")
        else:
            print(f"{result['id']} was not running ({result['state']})")
    elif args.action == "teardown":
        if result.get("already"):
            print(f"{result['id']} was already torn down ({result['classification']})")
        else:
            kept = f"; work archived at {result['archive_ref']}" if result.get("archive_ref") else ""
            print(f"tore down {result['id']} ({result['classification']}){kept}")
            if result.get("ignored_not_archived"):
                print(f"note: {len(result['ignored_not_archived'])} ignored file(s) were not archived")
    else:
        there = f" (and on {host})" if host else ""
        print(f"restored {result['id']} at {result['worktree']}{there} on {result['branch']}")
    return 0


def cmd_attach(args: argparse.Namespace) -> int:
    from cockpit.service.logs import attach_command, resolve_dispatch

    if not sys.stdin.isatty():
        raise UsageError("attach needs a terminal", hint="run it from an interactive shell")
    ws = Workspace.open(create=False)
    d = resolve_dispatch(ws, args.id)
    argv, env = attach_command(ws, d.id)
    code = subprocess.call(argv, env={**os.environ, **env})
    if code != 0:
        raise CheckFailed(f"tmux attach ended with code {code}")
    return 0


def cmd_providers(args: argparse.Namespace) -> int:
    from cockpit.domain.provider import version_number
    from cockpit.runtime.providers import list_providers, load_catalog

    try:
        root = Workspace.open(create=False).repo.toplevel
    except UsageError:
        root = None
    statuses = list_providers(load_catalog(root))
    if args.json:
        print_json([s.__dict__ for s in statuses])
        return 0
    print(f"{'PROVIDER':<10} {'FOUND':<6} {'MODES':<22} {'VERSION':<28} PATH")
    for s in statuses:
        version = s.version or (f"({s.version_error})" if s.found and s.version_error else "-")
        print(f"{s.name:<10} {'yes' if s.found else 'no':<6} {','.join(s.modes):<22} {version[:28]:<28} {s.path or '-'}")
        if s.description:  # the catalog's own words for it, under its row
            print(f"{'':<10} {s.description}")
    for s in statuses:
        if s.verified is False:
            print(
                f"warning: {s.name} {version_number(s.version)} is not a version its catalog entry was verified "
                f"with ({', '.join(s.verified_versions)}); its screens and flags may have changed "
                f"(check it with `cockpit providers verify {s.name}`)",
                file=sys.stderr,
            )
    return 0
