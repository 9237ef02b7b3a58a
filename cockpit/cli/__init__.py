"""The command line: a thin face over the service layer.

Exit codes everywhere: 0 success, 1 a check failed, 2 bad usage or bad input.
Errors are one line on stderr; a traceback only with --debug.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import import_module
from types import ModuleType

from cockpit import __version__
from cockpit.cli.common import Parser
from cockpit.errors import CockpitError

# The modules that register the subcommands (cockpit/cli/<name>.py), in `--help` order.
MODULES = [
    "basic",
    "workers",
    "control_cmds",
    "review_cmds",
    "review_loop_cmds",
    "demo_cmds",
    "ui_cmds",
    "mcp_cmd",
    "permission_cmds",
    "skill_cmds",
    "hosts_cmds",
]
# Which module registers each command: a command imports and builds only its own module's
# parsers (importing every module and building ~40 parsers cost each command tens of ms).
# A command missing here still works, through the full parser; tests/test_cli_commands.py
# checks this table against what the modules register.
COMMANDS = {
    **dict.fromkeys(["init", "doctor", "note", "receipts", "state"], "basic"),
    **dict.fromkeys(
        ["supervise", "dispatch", "status", "wait", "send", "logs", "kill", "teardown", "restore", "attach", "providers"],
        "workers",
    ),
    **dict.fromkeys(["pause", "resume"], "control_cmds"),
    **dict.fromkeys(["gates", "review", "approve", "reject", "replay"], "review_cmds"),
    **dict.fromkeys(["continue", "comment", "comments"], "review_loop_cmds"),
    "demo": "demo_cmds",
    **dict.fromkeys(["ui", "serve"], "ui_cmds"),
    "mcp": "mcp_cmd",
    "permissions": "permission_cmds",
    **dict.fromkeys(["skills", "prompt"], "skill_cmds"),
    "hosts": "hosts_cmds",
}


def _module(name: str) -> ModuleType:
    return import_module(f"cockpit.cli.{name}")


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` names, when only top-level flags that take no guessing precede it;
    None (then the full parser decides) for --help, --version, abbreviations or nothing."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--theme":
            i += 2
        elif word == "--debug" or word.startswith("--theme="):
            i += 1
        elif word.startswith("-"):
            return None
        else:
            return word
    return None


def build_parser(command: str | None = None) -> Parser:
    """The command line's parser: every subcommand, or only those of `command`'s module."""
    parser = Parser(
        prog="cockpit",
        description="Run many coding agents at once, each in its own worktree and tmux session, "
        "with review gates, human-approved promotion and a verifiable receipt ledger.",
    )
    parser.add_argument("--version", action="version", version=f"cockpit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--theme", help="colour theme of the TUI that `cockpit` alone opens (remembered)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    names = [COMMANDS[command]] if command is not None and command in COMMANDS else MODULES
    for name in names:
        _module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        parser = build_parser(command_of(argv))
        args = parser.parse_args(argv)
        handler = getattr(args, "handler", None)
        if handler is None:  # `cockpit` alone: the TUI in a terminal, the help when piped
            return _module("ui_cmds").run_no_command(args, parser.print_help)
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
