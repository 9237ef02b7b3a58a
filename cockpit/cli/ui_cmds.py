"""The TUI from the command line: `cockpit` (no arguments), `cockpit ui`, `cockpit serve`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from cockpit.errors import UsageError
from cockpit.service.workspace import Workspace

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ui", help="open the full-screen TUI (also what `cockpit` alone does)")
    p.add_argument("--theme", help="colour theme (remembered; see the command palette for the list)")
    p.set_defaults(handler=cmd_ui)

    p = sub.add_parser("serve", help="serve the TUI to a web browser (textual-serve), on localhost by default")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; anything else is reachable from the network)",
    )
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--theme", help="colour theme")
    p.add_argument(
        "--new-token", action="store_true", help="make a new secret for the link (every browser must open the new link)"
    )
    p.set_defaults(handler=cmd_serve)


def run_tui(ws: Workspace, *, theme: str | None = None) -> int:
    """Run the TUI on `ws` until the operator quits; the workers go on either way."""
    from cockpit.ui.app import CockpitApp
    from cockpit.ui.source import LiveSource
    from cockpit.ui.themes import check_theme_name, load_themes

    themes = load_themes()
    if theme is not None:
        check_theme_name(theme, themes)
    app = CockpitApp(LiveSource(ws), theme=theme, themes=themes)
    result = app.run()
    return int(result or 0)


def _has_screen() -> bool:
    """A terminal, or the browser that textual-serve connects (it sets TEXTUAL_DRIVER)."""
    return (sys.stdin.isatty() and sys.stdout.isatty()) or bool(os.environ.get("TEXTUAL_DRIVER"))


def cmd_ui(args: argparse.Namespace) -> int:
    if args.theme is not None:
        from cockpit.ui.themes import check_theme_name, load_themes

        check_theme_name(args.theme, load_themes())
    if not _has_screen():
        raise UsageError("the TUI needs a terminal", hint="run it from an interactive shell, or use `cockpit status`")
    return run_tui(Workspace.open(), theme=args.theme)


def run_no_command(args: argparse.Namespace, print_help: Callable[[], None]) -> int:
    """`cockpit` alone: the TUI in a terminal, the help text when piped."""
    if not _has_screen():
        print_help()
        return 0
    return run_tui(Workspace.open(), theme=getattr(args, "theme", None))


def cmd_serve(args: argparse.Namespace) -> int:
    from cockpit.service.serve_token import load_token
    from cockpit.ui.serve import check_address, public_url, serve
    from cockpit.ui.themes import check_theme_name, load_themes

    if not 0 < args.port < 65536:
        raise UsageError(f"port {args.port} is out of range (1-65535)")
    if args.theme:
        check_theme_name(args.theme, load_themes())
    check_address(args.host, args.port)
    ws = Workspace.open()
    command = [sys.executable, "-m", "cockpit", "ui"]
    if args.theme:
        command += ["--theme", args.theme]
    if args.host not in LOOPBACK:
        print(
            f"warning: serving on {args.host}: anyone who can reach it and has the link can drive your "
            "workers, and the link travels unencrypted: TLS is yours to add (an SSH tunnel or a reverse "
            "proxy, see docs/tui.md)",
            file=sys.stderr,
        )
    token = load_token(ws.state.root, rotate=args.new_token)
    url = public_url(args.host, args.port)
    print(
        f"serving the cockpit TUI for {ws.repo.toplevel}; open this link (it holds the secret, share it "
        f"with nobody):\n  {url}/?token={token}\n(Ctrl+C stops; `cockpit serve --new-token` makes a new link)",
        flush=True,
    )
    serve(ws.repo.toplevel, command, token=token, host=args.host, port=args.port)
    return 0
