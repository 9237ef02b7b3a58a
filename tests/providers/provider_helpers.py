"""Helpers for the provider tests: stub executables on a private PATH, and catalog files.

A uniquely named module (not conftest) so test files can import it unambiguously.
The captured screens and outputs under screens/ and outputs/ are copies of files in
reference/agent-clis/ (see tests/providers/README.md).
"""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SCREENS = HERE / "screens"
OUTPUTS = HERE / "outputs"


def screen(relative: str) -> str:
    return (SCREENS / relative).read_text(encoding="utf-8")


def output_lines(relative: str, stream: str = "stdout") -> list[str]:
    """The lines of one stream of an observed run file (header and other stream left out)."""
    text = (OUTPUTS / relative).read_text(encoding="utf-8")
    body = text.split(f"----- {stream} -----\n", 1)[1]
    return body.split("\n----- ", 1)[0].splitlines()


def make_stub(bin_dir: Path, name: str, script: str) -> Path:
    """An executable `name` in `bin_dir` running the given /bin/sh script."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + textwrap.dedent(script).lstrip("\n"))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def private_path(monkeypatch: pytest.MonkeyPatch, bin_dir: Path) -> None:
    """PATH = bin_dir plus the system directories, so no real agent CLI can be found."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("PATH", os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"]))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path
