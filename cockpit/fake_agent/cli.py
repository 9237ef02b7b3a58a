"""Command line of the fake agent: claude-like flags, headless and interactive modes."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from cockpit import __version__
from cockpit.fake_agent.interactive import run_interactive
from cockpit.fake_agent.runner import EXIT_BAD_PROMPT, process_prompt, warn
from cockpit.fake_agent.sessions import UnknownSession, open_session
from cockpit.fake_agent.terminal import (
    Terminated,
    die_by_signal,
    install_signal_handlers,
    read_answer_from_controlling_tty,
)

_LONGEST_SLEEP = 3600.0  # time.sleep() overflows on huge values; sleep in slices instead


class HeadlessConsole:
    """Console for `-p`: output to stdout, the y/n key from the controlling terminal."""

    def emit(self, text: str) -> None:
        sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()

    def wait(self, seconds: float | None) -> None:
        if seconds is None:
            while True:
                signal.pause()
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            time.sleep(min(remaining, _LONGEST_SLEEP))

    def read_answer(self) -> bool:
        return read_answer_from_controlling_tty()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cockpit-fake-agent",
        description=(
            "A stand-in for an AI coding CLI that obeys '@fake' directive lines in its prompt "
            "(say, lines, write, append, delete, commit, ask, sleep, hang, usage, exit, review); "
            "a plain prompt writes and commits a file named after its first words. "
            "Without -p it shows an interactive '> ' line."
        ),
        # The whole language (the package's docstring, also in docs/fake-agent.md) follows the options.
        epilog=sys.modules["cockpit.fake_agent"].__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-p",
        "--prompt",
        metavar="TEXT",
        help="run this prompt headless and exit; '-' reads the prompt from stdin",
    )
    parser.add_argument(
        "--output-format",
        choices=("stream-json", "json", "text"),
        default="stream-json",
        help="accepted for claude compatibility; the result is always one JSON line",
    )
    parser.add_argument("--verbose", action="store_true", help="accepted for claude compatibility; no effect")
    parser.add_argument(
        "-r",
        "--resume",
        metavar="SESSION_ID",
        help="go on with an earlier session (its id is in the result line); exit 1 if there is none",
    )
    parser.add_argument("--version", action="version", version=f"cockpit-fake-agent {__version__}")
    return parser


def _read_prompt(argument: str) -> bytes:
    if argument == "-":
        return sys.stdin.buffer.read()
    # argv reached us decoded with surrogateescape: this gives back its exact bytes
    return argument.encode("utf-8", "surrogateescape")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    install_signal_handlers()
    try:
        session_id = open_session(args.resume)
    except UnknownSession as exc:
        warn(str(exc))
        return 1
    try:
        if args.prompt is not None:
            return process_prompt(_read_prompt(args.prompt), HeadlessConsole(), session_id).exit_code
        if not sys.stdin.isatty() or not sys.stdout.isatty():
            warn("no prompt: pass -p TEXT, or -p - to read it from stdin, or run it in a terminal")
            return EXIT_BAD_PROMPT
        return run_interactive(session_id)
    except Terminated as terminated:
        die_by_signal(terminated.signum)
    except BrokenPipeError:
        return 1  # whoever read our output went away
