"""Conformance: one scenario for one CLI and mode, through the real supervisor and real tmux.

A throwaway repository and state directory, the scripted model service, the CLI's
offline profile (a private HOME) and a repo-level `.cockpit/providers.yaml` that points
the catalog entry at the binary under test. Then what a user does: `cockpit dispatch`,
`cockpit wait`, `cockpit send --key y`, `cockpit gates`, `cockpit approve`; each step is
judged from the ledger's receipts and the service's request log, one Row per signal.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cockpit.domain.receipt import Receipt
from cockpit.errors import CockpitError
from cockpit.ledger.reader import iter_receipts
from cockpit.modelservice.profile_base import Case
from cockpit.modelservice.profiles import PROFILES
from cockpit.modelservice.server import ModelServiceThread
from cockpit.runtime.local_executor import LocalExecutor
from cockpit.runtime.statedir import StateDir
from cockpit.runtime.usage import Usage, apply_prices
from cockpit.service.client import wait_until_stopped
from cockpit.service.conformance_checks import judge

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 30.0
KINDS = ("happy", "trust", "deny", "auth", "hang")
GIT_ID = {
    "GIT_AUTHOR_NAME": "cockpit",
    "GIT_AUTHOR_EMAIL": "cockpit@localhost",
    "GIT_COMMITTER_NAME": "cockpit",
    "GIT_COMMITTER_EMAIL": "cockpit@localhost",
}


@dataclass
class Row:
    signal: str
    ok: bool
    why: str


@dataclass
class Result:
    cli: str
    mode: str
    kind: str
    rows: list[Row] = field(default_factory=list)
    dispatch_id: str = ""
    screens: dict[str, str] = field(default_factory=dict)  # name -> screen the run matched on

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(r.ok for r in self.rows)

    def failed(self) -> list[str]:
        return [r.signal for r in self.rows if not r.ok]


class Run:
    """The environment of one conformance run; use as a context manager."""

    def __init__(self, cli: str, mode: str, case: Case, binary: Path, *, step_timeout: float = 30.0) -> None:
        self.cli, self.mode, self.case, self.binary = cli, mode, case, binary
        self.step_timeout = step_timeout
        self.root = Path(tempfile.mkdtemp(prefix=f"cockpit-conf-{cli}-"))
        self.repo = self.root / "repo"
        # Not TMUX/TMUX_PANE (a run from inside tmux is not nested in it), but TMUX_TMPDIR
        # stays: the supervisor's tmux server must be where this process's executor looks
        # (screens, stop_all), or the clean-up misses it and its workers run on.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_") and k not in ("TMUX", "TMUX_PANE")}
        self.env.update(
            GIT_ID,
            COCKPIT_HOME=str(self.root / "state"),
            XDG_CONFIG_HOME=str(self.root / "config"),
            XDG_STATE_HOME=str(self.root / "xdg-state"),
        )
        self.service = ModelServiceThread(case.scenario)
        self.state: StateDir | None = None

    # -- set-up and clean-up --------------------------------------------------------------

    def __enter__(self) -> Run:
        self.repo.mkdir(parents=True)
        for args in (["init", "-q", "-b", "main"], ["commit", "-q", "--allow-empty", "-m", "initial"]):
            subprocess.run(["git", *args], cwd=self.repo, env=self.env, check=True, capture_output=True)
        self.state = StateDir.for_repo(self.repo, self.repo / ".git", self.env)
        self.service.start()
        # Pre-trusted through the CLI's own config, except in the "trust" case, where cockpit
        # must answer the trust prompt itself.
        trusted = self.state.worktrees if self.case.kind != "trust" else self.root / "elsewhere"
        profile_env = PROFILES[self.cli].prepare(self.root / "home", self.service.url, trusted)
        override = {"providers": {self.cli: {"binary": str(self.binary), "env": profile_env}}}
        (self.repo / ".cockpit").mkdir()
        (self.repo / ".cockpit" / "providers.yaml").write_text(yaml.safe_dump(override), encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        self.cockpit("supervise", "--stop", timeout=30)
        if self.state is not None:
            self._wait_for_supervisor_to_end()
            LocalExecutor(self.state).stop_all()
        self.service.stop()
        for _ in range(25):  # a CLI that is still exiting may write into its HOME for a moment
            shutil.rmtree(self.root, ignore_errors=True)
            if not self.root.exists():
                break
            time.sleep(0.2)

    def _wait_for_supervisor_to_end(self) -> None:
        """The tmux server goes only after the supervisor: one still stopping may be starting a
        worker, which would start the server again after the kill. One that does not stop
        when asked is told to with SIGTERM (its handler stops it the same way)."""
        assert self.state is not None
        if wait_until_stopped(self.state, STOP_TIMEOUT_S):
            return
        pid = _lock_holder(self.state.supervisor_lock)
        log.warning("the conformance run's supervisor (pid %s) did not stop when asked: sending SIGTERM", pid)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        if not wait_until_stopped(self.state, STOP_TIMEOUT_S):
            log.warning("the conformance run's supervisor (pid %s) outlived SIGTERM", pid)

    # -- steps ----------------------------------------------------------------------------

    def cockpit(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                [sys.executable, "-m", "cockpit", *args],
                cwd=self.repo,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            return subprocess.CompletedProcess(exc.cmd, 124, "", f"timed out after {timeout:g} s")

    def receipts(self, dispatch_id: str) -> list[Receipt]:
        assert self.state is not None
        return [r for _, r in iter_receipts(self.state.ledger_dir, 0) if r.dispatch == dispatch_id]

    def wait_for(self, test: Callable[[list[Receipt]], Any], dispatch_id: str, timeout: float) -> Any:
        """Poll the ledger until `test(receipts)` is truthy; its value, or None at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            found = test(self.receipts(dispatch_id))
            if found or time.monotonic() > deadline:
                return found or None
            time.sleep(0.1)

    def screen(self, dispatch_id: str) -> str:
        assert self.state is not None
        try:
            return LocalExecutor(self.state).capture(dispatch_id)
        except CockpitError:  # the session may have ended; an empty screen says so
            return ""

    def expected_usage(self) -> Usage:
        """The scenario's token figures, priced with the catalog's prices."""
        from cockpit.runtime.providers import load_catalog

        turns = [t for t in self.case.scenario.turns if t.kind in ("text", "write_file", "shell")]
        if self.case.kind == "deny":
            turns = turns[:1]  # refused: the closing turn is never asked for
        total_in = sum(
            t.usage.input_tokens + t.usage.cache_read_input_tokens + t.usage.cache_creation_input_tokens for t in turns
        )
        total_out = sum(t.usage.output_tokens for t in turns)
        if self.case.cost_micro_usd is not None:  # the CLI prices the tokens itself (aider)
            return Usage(total_in, total_out, self.case.cost_micro_usd)
        prices = load_catalog(self.repo).get(self.cli).prices
        return apply_prices(Usage(total_in, total_out), prices)


def _lock_holder(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip()) or None
    except (OSError, ValueError):
        return None


def verify(cli: str, mode: str, kind: str, binary: Path, *, screens: bool = False, step_timeout: float = 30.0) -> Result:
    """Run case `kind` of `cli` in `mode`; a Result with one Row per signal."""
    result = Result(cli, mode, kind)
    profile = PROFILES.get(cli)
    case = profile.case(mode, kind) if profile is not None else None
    if case is None:
        result.rows.append(Row("case", False, f"no {kind} case for {cli} {mode}"))
        return result
    with Run(cli, mode, case, binary, step_timeout=step_timeout) as run:
        judge(run, result, capture=screens)
    return result


def format_rows(results: list[Result]) -> str:
    lines = []
    for res in results:
        for row in res.rows:
            mark = "✓" if row.ok else "✗"
            lines.append(f"{res.cli:<9} {res.mode:<12} {res.kind:<6} {row.signal:<10} {mark} {row.why}")
    return "\n".join(lines)


def results_json(results: list[Result]) -> str:
    return json.dumps(
        [
            {
                "cli": r.cli,
                "mode": r.mode,
                "kind": r.kind,
                "ok": r.ok,
                "dispatch": r.dispatch_id,
                "rows": [row.__dict__ for row in r.rows],
            }
            for r in results
        ],
        indent=2,
    )
