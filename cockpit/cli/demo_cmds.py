"""`cockpit demo`: the built-in showcase on a throwaway repository."""

from __future__ import annotations

import argparse
import sys

from cockpit.cli.review_cmds import print_review


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run three fake-agent workers in a throwaway repository (no account needed)")
    p.add_argument("--no-tui", action="store_true", help="print what happens instead of opening the TUI")
    p.add_argument("--theme", help="the TUI theme")
    p.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from cockpit.ledger import tail
    from cockpit.service.demo import start_demo, wait_for_demo

    run, ws, client = start_demo()
    tui = not args.no_tui and sys.stdin.isatty() and sys.stdout.isatty()
    if tui:
        try:
            from cockpit.cli.ui_cmds import run_tui
        except ImportError:
            tui = False
        else:
            return run_tui(ws, theme=args.theme)
    print(f"demo repository: {run.repo}")
    print("dispatched three fake-agent workers; waiting for them to settle...\n")
    reached = wait_for_demo(client, run)
    from cockpit.cli.workers import print_status

    print_status(client.call("status"))
    editor, asker, failer = run.ids
    print(f"\n{editor}: edited and committed; its gates ran:" if reached["editor"]["reached"]
          else f"\n{editor}: did not reach awaiting_approval ({reached['editor']['state']})")
    print_review(client.call("review", id=editor))
    print(f"\n{asker}: is waiting for an answer (state {reached['asker']['state']})")
    print(f"{failer}: failed (state {reached['failer']['state']}, exit {client.call('show', id=failer)['exit_code']})")
    print("\nlatest receipts:")
    for r in tail(ws.state.ledger_dir, 12):
        print(f"  {r.seq:>4} {r.kind:<18} {r.dispatch or '-':<11} {r.actor}")
    print(f"""
Try it yourself (the supervisor keeps running in the background):
  cd {run.repo}
  export COCKPIT_HOME={run.root / 'state'}
  cockpit send {asker} --key y        # answer the question
  cockpit approve {editor}             # merge the reviewed work into main
  cockpit attach {asker}               # look at a worker's terminal (detach: C-b d)
  cockpit receipts verify             # check the hash chain
  cockpit                             # the full-screen TUI
  cockpit supervise --stop            # when you are done""")
    client.close()
    return 0 if all(r["reached"] for r in reached.values()) else 1
