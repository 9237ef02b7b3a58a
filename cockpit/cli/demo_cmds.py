"""`cockpit demo`: the built-in showcase on a demo repository that outlives the TUI."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cockpit.cli.review_cmds import print_review

if TYPE_CHECKING:
    from cockpit.service.client import SupervisorClient
    from cockpit.service.demo import DemoRun
    from cockpit.service.workspace import Workspace


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run three fake-agent workers in a demo repository (no account needed)")
    p.add_argument("--no-tui", action="store_true", help="print what happens instead of opening the TUI")
    p.add_argument(
        "--dir",
        type=Path,
        metavar="PATH",
        help="where the demo repository goes (default: $XDG_DATA_HOME/cockpit/demo, "
        "~/.local/share/cockpit/demo); a previous demo there is replaced",
    )
    p.add_argument(
        "--clean", action="store_true", help="stop the demo's workers and supervisor, and remove its repository and state"
    )
    p.add_argument("--theme", help="the TUI theme")
    p.set_defaults(handler=cmd_demo)


def _where(args: argparse.Namespace) -> Path:
    from cockpit.service.demo import default_demo_dir

    return (args.dir.expanduser() if args.dir else default_demo_dir()).absolute()


def how_to_stop(repo: Path) -> str:
    """What the operator reads when leaving the demo: its workers keep running until stopped."""
    here = shlex.quote(str(repo))
    return (
        f"The demo's workers keep running in the background. Its repository: {repo}\n"
        f"  cd {here} && cockpit             # the TUI again, with the same workers\n"
        f"  cd {here} && cockpit supervise --stop   # stop the supervisor (workers stay in tmux)\n"
        f"  cockpit demo --clean{'' if repo == _default() else ' --dir ' + here}"
        "         # stop everything and remove the demo"
    )


def _default() -> Path:
    from cockpit.service.demo import default_demo_dir

    return default_demo_dir().absolute()


def cmd_demo(args: argparse.Namespace) -> int:
    from cockpit.service.demo import clean_demo, start_demo

    where = _where(args)
    if args.clean:
        result = clean_demo(where)
        if result["removed"]:
            print(f"stopped the demo's workers and removed {result['repo']} and its state {result['state']}")
        else:
            print(f"no cockpit demo at {where}: nothing to clean")
        return 0
    tui = not args.no_tui and sys.stdin.isatty() and sys.stdout.isatty()
    if tui:
        try:
            from cockpit.cli.ui_cmds import run_tui
        except ImportError:
            tui = False
    if tui and args.theme is not None:  # a bad theme fails before anything is made
        from cockpit.ui.themes import check_theme_name, load_themes

        check_theme_name(args.theme, load_themes())
    run, ws, client = start_demo(where)
    if run.replaced:
        print(f"replaced the previous demo at {run.repo}")
    print(f"demo repository: {run.repo}", flush=True)
    if tui:
        client.close()
        code = run_tui(ws, theme=args.theme)
        print(how_to_stop(run.repo))
        return code
    return _print_run(run, ws, client)


def _print_run(run: DemoRun, ws: Workspace, client: SupervisorClient) -> int:
    from cockpit.cli.workers import print_status
    from cockpit.ledger import tail
    from cockpit.service.demo import wait_for_demo

    print("dispatched three fake-agent workers; waiting for them to settle...\n")
    reached = wait_for_demo(client, run)
    print_status(client.call("status"))
    editor, asker, failer = run.ids
    print(
        f"\n{editor}: edited and committed; its gates ran:"
        if reached["editor"]["reached"]
        else f"\n{editor}: did not reach awaiting_approval ({reached['editor']['state']})"
    )
    print_review(client.call("review", id=editor))
    print(f"\n{asker}: is waiting for an answer (state {reached['asker']['state']})")
    print(f"{failer}: failed (state {reached['failer']['state']}, exit {client.call('show', id=failer)['exit_code']})")
    print("\nlatest receipts:")
    for r in tail(ws.state.ledger_dir, 12):
        print(f"  {r.seq:>4} {r.kind:<18} {r.dispatch or '-':<11} {r.actor}")
    print(f"""
Try it yourself:
  cd {shlex.quote(str(run.repo))}
  cockpit send {asker} --key y        # answer the question
  cockpit approve {editor}             # merge the reviewed work into main
  cockpit dispatch 'Write a haiku'    # a plain prompt: the fake agent writes and commits write-a-haiku.txt
  cockpit attach {asker}               # look at a worker's terminal (detach: C-b d)
  cockpit receipts verify             # check the hash chain
  cockpit                             # the full-screen TUI
""")
    print(how_to_stop(run.repo))
    client.close()
    return 0 if all(r["reached"] for r in reached.values()) else 1
