"""The CLI builds only the parsers of the command it runs (cockpit/cli/__init__.py COMMANDS):
that table must name every command's module, and the partial parser must be the full one's."""

from __future__ import annotations

import argparse
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

from cockpit.cli import COMMANDS, MODULES, build_parser, command_of
from cockpit.cli.common import Parser


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def test_the_table_names_the_module_of_every_command() -> None:
    registered: dict[str, str] = {}
    for name in MODULES:
        sub = Parser(prog="cockpit").add_subparsers(dest="command", parser_class=Parser)
        import_module(f"cockpit.cli.{name}").register(sub)
        registered.update(dict.fromkeys(sub.choices, name))
    assert COMMANDS == registered, "add the new command to COMMANDS in cockpit/cli/__init__.py"
    assert list(_subcommands(build_parser())) == list(registered)  # the full parser, in --help order


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_command_parses_and_explains_itself_as_in_the_full_parser(command: str) -> None:
    full, partial = _subcommands(build_parser())[command], _subcommands(build_parser(command))[command]
    assert partial.format_help() == full.format_help()
    assert partial.prog == full.prog == f"cockpit {command}"


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["dispatch", "hi"], "dispatch"),
        (["--debug", "status", "--json"], "status"),
        (["--theme", "dark", "ui"], "ui"),
        (["--theme=dark", "ui"], "ui"),
        (["--help"], None),
        (["--version"], None),
        (["--deb", "status"], None),  # an abbreviation: the full parser decides
        ([], None),
        (["--theme"], None),
    ],
)
def test_the_command_word_is_found_only_where_it_is_unambiguous(argv: list[str], command: str | None) -> None:
    assert command_of(argv) == command


@pytest.mark.integration
def test_an_unknown_command_is_still_refused_by_the_full_parser() -> None:
    result = subprocess.run([sys.executable, "-m", "cockpit", "dispach", "hi"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "invalid choice: 'dispach'" in result.stderr and "dispatch" in result.stderr
    assert "Traceback" not in result.stderr


# What `cockpit dispatch` must not load while a supervisor answers: it only sends the request.
# (asyncio and dataclasses cost a command ~45 and ~10 ms of CPU; docs/benchmarks.md, figure 3.)
HEAVY = {
    "asyncio",
    "dataclasses",
    "pydantic",
    "git",
    "yaml",
    "libtmux",
    "textual",
    "cockpit.runtime.git_repo",
    "cockpit.cli.demo_cmds",
}


def test_dispatch_to_a_running_supervisor_loads_none_of_the_heavy_modules(cockpit, tmp_path: Path) -> None:
    cockpit.wait(cockpit.dispatch("@fake say warm"))  # the supervisor now runs
    loaded = tmp_path / "modules.txt"
    code = (
        "import sys\n"
        "from cockpit.cli import main\n"
        "code = main(['dispatch', '@fake say hi'])\n"
        f"open({str(loaded)!r}, 'w').write('\\n'.join(sorted(sys.modules)))\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=cockpit.repo, capture_output=True, text=True, check=True)
    cockpit.wait(result.stdout.strip())
    modules = set(loaded.read_text().split())
    assert "cockpit.cli.workers" in modules
    assert not {m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY}
