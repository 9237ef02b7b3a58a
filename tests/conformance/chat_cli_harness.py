"""Running aider and opencode (OpenAI Chat Completions CLIs) through the real supervisor,
real tmux and the scripted model service, offline (issue 9's conformance suite).

A throwaway repo gets a repo-level `.cockpit/providers.yaml` that points the catalog entry
at the installed binary and adds the offline profile's environment (its private HOME);
everything else (args, patterns, answers, signals, usage parser) is the shipped catalog's.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from cockpit.modelservice.profiles import PROFILES
from cockpit.modelservice.scenario import Scenario
from cockpit.modelservice.server import ModelServiceThread

CLI_CACHE = Path(os.environ.get("COCKPIT_CLI_CACHE", Path.home() / ".cache" / "cockpit" / "agent-clis"))
BINARIES = {
    "aider": CLI_CACHE / "aider" / "bin" / "aider",
    "opencode": CLI_CACHE / "npm" / "node_modules" / ".bin" / "opencode",
}
INSTALL = {
    "aider": "python3 -m venv aider && aider/bin/pip install aider-chat==0.86.2",
    "opencode": "npm install --prefix npm opencode-ai@1.18.33",
}


def binary(cli: str) -> Path:
    path = BINARIES[cli]
    if not os.access(path, os.X_OK):
        pytest.fail(
            f"{cli} is not installed at {path}: in {CLI_CACHE} run `{INSTALL[cli]}` "
            "(tests/conformance/install_clis.py does it for CI)"
        )
    return path


@contextmanager
def offline(
    cockpit, cli: str, scenario: Scenario, home: Path, *, catalog: dict[str, Any] | None = None
) -> Iterator[ModelServiceThread]:
    """The model service for `scenario`, and the repo's catalog override that points `cli` at it.
    `catalog`: more fields for the entry (merged as a user's catalog is: mappings key by key)."""
    service = ModelServiceThread(scenario).start()
    try:
        env = PROFILES[cli].prepare(home, service.url, cockpit.repo)
        override = {"providers": {cli: {"binary": str(binary(cli)), "env": env, **(catalog or {})}}}
        directory = cockpit.repo / ".cockpit"
        directory.mkdir(exist_ok=True)
        (directory / "providers.yaml").write_text(yaml.safe_dump(override), encoding="utf-8")
        yield service
    finally:
        service.stop()


def states(cockpit, dispatch_id: str) -> list[tuple[str, str | None]]:
    """Each status change: (new state, its source)."""
    return [(r.data.get("to"), r.data.get("source")) for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed"]


def usage_receipts(cockpit, dispatch_id: str) -> list[dict]:
    return [r.data for r in cockpit.receipts(dispatch_id) if r.kind == "usage"]


def wait_for(predicate, what: str, timeout: float = 120.0, step: float = 0.1):
    """Poll a condition with a generous limit (the CLIs start slowly on a loaded machine)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


def screen_of(cockpit, dispatch_id: str) -> str:
    return cockpit.tmux().capture(dispatch_id)


def gates_and_approve(cockpit, dispatch_id: str, path: str, content: str) -> None:
    """The acceptance gate passes on the worker's diff and approving lands the file on main."""
    review = cockpit.run("review", dispatch_id, "--json")
    assert review.returncode == 0, review.stderr + review.stdout
    gates = json.loads(review.stdout).get("gates") or []
    assert gates and all(g.get("status") == "passed" for g in gates), gates
    approved = cockpit.run("approve", dispatch_id)
    assert approved.returncode == 0, approved.stderr + approved.stdout
    assert (cockpit.repo / path).read_text(encoding="utf-8") == content
