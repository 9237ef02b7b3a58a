"""The command line: a thin face over the service layer.

Exit codes everywhere: 0 success, 1 a check failed, 2 bad usage or bad input.
Errors are one line on stderr; a traceback only with --debug.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cockpit import __version__
from cockpit.cli import (
    basic,
    control_cmds,
    demo_cmds,
    hosts_cmds,
    mcp_cmd,
    permission_cmds,
    review_cmds,
    review_loop_cmds,
    skill_cmds,
    ui_cmds,
    workers,
)
from cockpit.cli.common import Parser
from cockpit.errors import CockpitError

MODULES = [
    basic,
    workers,
    control_cmds,
    review_cmds,
    review_loop_cmds,
    demo_cmds,
    ui_cmds,
    mcp_cmd,
    permission_cmds,
    skill_cmds,
    hosts_cmds,
]


def build_parser() -> Parser:
    parser = Parser(
        prog="cockpit",
        description="Run many coding agents at once, each in its own worktree and tmux session, "
        "with review gates, human-approved promotion and a verifiable receipt ledger.",
    )
    parser.add_argument("--version", action="version", version=f"cockpit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--theme", help="colour theme of the TUI that `cockpit` alone opens (remembered)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        handler = getattr(args, "handler", None)
        if handler is None:  # `cockpit` alone: the TUI in a terminal, the help when piped
            return ui_cmds.run_no_command(args, parser.print_help)
        return int(handler(args) or 0)
    except CockpitError as exc:
        if debug:
            raise
        message = str(exc)
        print(message if message.startswith("cockpit") else f"cockpit: {message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # an unexpected failure: still one line, unless --debug
        if debug:
            raise
        print(f"cockpit: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
