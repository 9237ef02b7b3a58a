"""Running codex / gemini through the real supervisor, tmux and git against the scripted model service.

Each test gets a repository with cockpit on it (the `cockpit` fixture), a ModelService
thread playing a scenario, and a repo-level `.cockpit/providers.yaml` that points the
catalog entry at the installed CLI with the offline profile's private HOME and env.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from cockpit.modelservice.profiles import PROFILES
from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage
from cockpit.modelservice.server import ModelServiceThread

CACHE = Path(os.environ.get("COCKPIT_CLI_CACHE", str(Path.home() / ".cache" / "cockpit" / "agent-clis")))
BIN = CACHE / "npm" / "node_modules" / ".bin"
PROMPT = "Please create hello.txt with a greeting."
CONTENT = "hi from the model service\n"
VERDICT = '{"verdict": "approve", "findings": []}'


def binary(cli: str) -> Path:
    path = BIN / cli
    assert path.exists(), (
        f"{cli} is not installed at {path}: run `python tests/conformance/install_clis.py` (or set COCKPIT_CLI_CACHE)"
    )
    return path


def edit_then_review(cli: str) -> Scenario:
    """The worker writes hello.txt (a tool call; interactive: needs permission), says it is done;
    the third main request is the review gate's, answered with an approving verdict."""
    if cli == "gemini":
        # gemini's auto_edit approves file edits without asking; its shell tool still asks.
        first = Turn(
            kind="shell",
            command=f"printf '{CONTENT.strip()}\\n' > hello.txt",
            text="I will create hello.txt.",
            usage=TurnUsage(input_tokens=123, output_tokens=45),
        )
    else:
        first = Turn(
            kind="write_file",
            path="hello.txt",
            content=CONTENT,
            text="I will create hello.txt.",
            usage=TurnUsage(input_tokens=123, output_tokens=45),
        )
    return Scenario(
        name=f"{cli}-edit-then-review",
        turns=[
            first,
            Turn(kind="text", text="Done: wrote hello.txt.", usage=TurnUsage(input_tokens=153, output_tokens=12)),
            Turn(kind="text", text=VERDICT, usage=TurnUsage(input_tokens=300, output_tokens=9)),
        ],
    )


def headless_write(cli: str) -> Scenario:
    """Headless runs never ask: a file-writing tool call both CLIs run unasked, then text, then a verdict."""
    return Scenario(
        name=f"{cli}-headless-write",
        turns=[
            Turn(
                kind="write_file",
                path="hello.txt",
                content=CONTENT,
                text="I will create hello.txt.",
                usage=TurnUsage(input_tokens=123, output_tokens=45),
            ),
            Turn(kind="text", text="Done: wrote hello.txt.", usage=TurnUsage(input_tokens=153, output_tokens=12)),
            Turn(kind="text", text=VERDICT, usage=TurnUsage(input_tokens=300, output_tokens=9)),
        ],
    )


def worker_usage(scenario: Scenario) -> tuple[int, int]:
    """What the worker's two turns report (the third answers the reviewer)."""
    turns = scenario.turns[:2]
    return (sum(t.usage.input_tokens + t.usage.cache_read_input_tokens for t in turns), sum(t.usage.output_tokens for t in turns))


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def commit(repo: Path, files: dict[str, str], message: str) -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        git(repo, "add", rel)
    git(repo, "commit", "-q", "-m", message)


@contextmanager
def offline(
    cockpit, cli: str, scenario: Scenario, *, reviewer: bool = False, catalog: dict[str, Any] | None = None
) -> Iterator[ModelServiceThread]:
    """The model service plays `scenario`; the catalog entry `cli` runs the installed CLI against it.
    `catalog`: more fields for the entry (merged as a user's catalog is: mappings key by key)."""
    with ModelServiceThread(scenario) as service:
        home = cockpit.repo.parent / f"{cli}-home"
        env = PROFILES[cli].prepare(home, service.url, cockpit.repo)
        override = {"providers": {cli: {"binary": str(binary(cli)), "env": env, **(catalog or {})}}}
        files = {".cockpit/providers.yaml": yaml.safe_dump(override)}
        if reviewer:
            files[".cockpit/gates.yaml"] = (
                f"gates:\n  review:\n    kind: review\n    provider: {cli}\n    timeout: 120\n"
                "    instructions: Judge the change.\n"
            )
        commit(cockpit.repo, files, f"cockpit: run {cli} offline")
        yield service


def status_line(cockpit, dispatch_id: str) -> str:
    return cockpit.run("status", dispatch_id, check=True).stdout


def wait_for(predicate, what: str, timeout: float = 90.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def states(cockpit, dispatch_id: str) -> list[tuple[str, str]]:
    """(to, source) of every status_changed receipt, in order."""
    return [(r.data.get("to"), r.data.get("source", "")) for r in cockpit.receipts(dispatch_id) if r.kind == "status_changed"]


def dump(cockpit, dispatch_id: str) -> str:
    """What a failed assertion should show: receipts and the log's tail."""
    lines = [json.dumps({"kind": r.kind, **r.data})[:300] for r in cockpit.receipts(dispatch_id)]
    try:
        log = cockpit.ws.state.log(dispatch_id).read_text(errors="replace")[-3000:]
    except OSError:
        log = "(no log)"
    try:
        signals = cockpit.ws.state.signal_file(dispatch_id).read_text(errors="replace")[-3000:]
    except OSError:
        signals = "(no signals)"
    return "\n".join(lines) + "\n--- signals ---\n" + signals + "\n--- log tail ---\n" + log[-1500:]


def gate_summary(cockpit, dispatch_id: str) -> str:
    """The review gate's result summary once it has one ("" before)."""
    for receipt in reversed(cockpit.receipts(dispatch_id)):
        if receipt.kind == "gate_result" and receipt.data.get("gate") == "review":
            return f"{receipt.data.get('status')}: {receipt.data.get('summary')}"
    return ""


def shown(cockpit, dispatch_id: str, text: str, timeout: float = 30.0) -> str:
    """Wait until the worker's pane shows `text` (what an operator sees before answering)."""
    return wait_for(
        lambda: (lambda s: s if text in s else "")(cockpit.tmux().capture(dispatch_id)),
        f"{text!r} on the screen of {dispatch_id}",
        timeout=timeout,
    )
