"""Bad input, case after case (bad_input_cases.py): one clear line, exit code 2, and nothing written
anywhere: not the ledger, the store, git's refs, branches or worktrees, nor the state dir's files.

One repository serves every case: it has an exited dispatch, a live idle interactive one and a
running supervisor (so the commands that talk to it really do); a second repository lends an id.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bad_input_cases import ALL, Case
from reliability_kit import (
    differences,
    everything,
    git_state,
    ledger_bytes,
    one_clear_line,
)

IDENTITY = {
    "GIT_AUTHOR_NAME": "T",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "T",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


@dataclass
class World:
    base: Path
    env: dict[str, str]
    repo: Path
    other: Path
    ids: dict[str, str]

    def cli(self, *args: str, repo: Path | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "cockpit", *args],
            check=False,
            cwd=repo or self.repo,
            env=self.env,
            input=stdin,
            capture_output=True,
            timeout=120,
        )
        return subprocess.CompletedProcess(
            result.args, result.returncode, result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
        )

    def state(self, repo: Path) -> Path:
        from cockpit.runtime.statedir import StateDir

        common = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return StateDir.for_repo(repo, Path(common), env=self.env).root

    def snapshot(self) -> dict[str, Any]:
        out = everything(self.repo, self.state(self.repo))
        out["other"] = (ledger_bytes(self.state(self.other)), git_state(self.other))
        return out


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    for args in (("init", "-q", "-b", "main"), ("commit", "-q", "--allow-empty", "-m", "initial"), ("branch", "feature")):
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True, env={**os.environ, **IDENTITY})
    return path


def settle(world: World, repo: Path, dispatch_id: str, until: str) -> None:
    assert world.cli("wait", dispatch_id, "--until", until, "--timeout", "60", repo=repo).returncode == 0
    deadline = time.monotonic() + 60
    while until == "final":  # and its gates have run: they write receipts of their own
        row = next(r for r in json.loads(world.cli("status", "--json", repo=repo).stdout) if r["id"] == dispatch_id)
        if row["review"] not in ("none", "gating"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)


def stop(world: World, repo: Path) -> None:
    from cockpit.runtime.tmux_names import socket_name_for, socket_path

    world.cli("supervise", "--stop", repo=repo)
    socket = socket_name_for(world.state(repo))
    subprocess.run(["tmux", "-L", socket, "kill-server"], check=False, capture_output=True)
    socket_path(socket).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("bad-input")
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE", "COCKPIT_WORKER_ID", "COCKPIT_DISPATCH_ID")}
    env.update(IDENTITY, COCKPIT_HOME=str(base / "home"), XDG_CONFIG_HOME=str(base / "config"), XDG_STATE_HOME=str(base / "xdg"))
    w = World(base, env, make_repo(base / "repo"), make_repo(base / "other"), {})
    (base / "scratch").mkdir()
    try:
        out = w.cli("dispatch", "@fake say hi", "--risk", "low", repo=w.other)
        assert out.returncode == 0, out.stderr
        w.ids["E1"] = out.stdout.strip()
        settle(w, w.other, w.ids["E1"], "final")
        stop(w, w.other)
        for key, args in (
            ("D1", ("@fake say done", "--risk", "low")),
            ("D2", ("@fake say ready", "--interactive", "--risk", "low")),
        ):
            out = w.cli("dispatch", *args)
            assert out.returncode == 0, out.stderr
            w.ids[key] = out.stdout.strip()
        settle(w, w.repo, w.ids["D1"], "final")
        settle(w, w.repo, w.ids["D2"], "idle")
        yield w
    finally:
        stop(w, w.repo)


def place(world: World, files: dict[str, bytes]) -> list[Path]:
    roots = {"repo": world.repo, "user": world.base / "config", "tmp": world.base / "scratch"}
    written = []
    for spec, content in files.items():
        where, relative = spec.split(":", 1)
        path = roots[where] / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written


def params() -> list[Any]:
    return [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.bug)] if c.bug else []) for c in ALL]


def test_the_corpus_is_big_enough() -> None:
    assert len(ALL) >= 40 and len({c.id for c in ALL}) == len(ALL)
    assert {c.argv[0] for c in ALL} >= {"dispatch", "providers", "gates", "wait", "send", "note"}


@pytest.mark.parametrize("case", params())
def test_bad_input_is_one_clear_line_exit_2_and_writes_nothing(world: World, case: Case) -> None:
    argv = [arg.format(TMP=world.base / "scratch", **world.ids) for arg in case.argv]
    written = place(world, case.files)
    try:
        before = world.snapshot()
        result = world.cli(*argv, stdin=case.stdin)
        after = world.snapshot()
    finally:
        for path in written:
            path.unlink()
    assert result.returncode == 2, f"exit {result.returncode}: {result.stderr.strip()[:300]} {result.stdout[:200]}"
    one_clear_line(result.stderr)
    assert case.says.lower() in result.stderr.lower(), result.stderr
    assert differences(before, after) == []
