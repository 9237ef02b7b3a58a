"""`cockpit demo`: a throwaway repository and three fake-agent workers, no account or API key needed.

One worker edits and commits (its gates pass and it awaits approval), one asks a
question and waits for the operator, one fails.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cockpit.service.client import SupervisorClient
from cockpit.service.identity import operator_actor
from cockpit.service.workspace import Workspace

GATES_YAML = """\
# The demo's gates: a test command and an agent reviewer (the fake agent plays it).
gates:
  tests:
    kind: command
    run: "sh ./check.sh"
    timeout: 60
  reviewer:
    kind: review
    provider: fake
    timeout: 60
    instructions: |
      @fake usage 1800 240 0.0042
      @fake say {"verdict": "approve", "findings": [{"severity": "advisory", "file": "greeting.txt", "line": 1, "message": "consider a friendlier greeting"}]}
required:
  medium: [scope, commands, conflicts, review]
"""

WORKERS = [
    ("Add a greeting file\n@fake say reading the task\n@fake lines 5 20\n@fake write greeting.txt Hello from cockpit!\\n"
     "\n@fake commit Add greeting.txt\n@fake usage 5200 830 0.0312\n@fake say done", []),
    ("Migrate the settings format\n@fake say looking at settings.ini\n@fake ask Rewrite settings.ini in place?\n"
     "@fake write settings.ini [main]\\nformat = 2\\n\n@fake say migrated", []),
    ("Upgrade the build tool\n@fake say trying the upgrade\n@fake lines 3 10\n@fake say error: the upgrade failed\n"
     "@fake exit 3", []),
]


@dataclass
class DemoRun:
    root: Path
    repo: Path
    ids: list[str]


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "cockpit demo", "GIT_AUTHOR_EMAIL": "demo@cockpit.invalid",
           "GIT_COMMITTER_NAME": "cockpit demo", "GIT_COMMITTER_EMAIL": "demo@cockpit.invalid"}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def make_demo_repo(base: Path | None = None) -> tuple[Path, Path]:
    """(a new temporary folder, the repository inside it); the folder also holds cockpit's state."""
    root = Path(tempfile.mkdtemp(prefix="cockpit-demo-", dir=base))
    repo = root / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("# demo\n\nA throwaway repository made by `cockpit demo`.\n")
    (repo / "settings.ini").write_text("[main]\nformat = 1\n")
    (repo / "check.sh").write_text("#!/bin/sh\n# the demo's test suite\ntest -f README.md && echo 'all checks passed'\n")
    (repo / ".cockpit").mkdir()
    (repo / ".cockpit" / "gates.yaml").write_text(GATES_YAML)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Initial commit")
    return root, repo


def start_demo(base: Path | None = None) -> tuple[DemoRun, Workspace, SupervisorClient]:
    root, repo = make_demo_repo(base)
    os.environ["COCKPIT_HOME"] = str(root / "state")  # the demo's state stays in its own folder
    ws = Workspace.open(repo)
    client = SupervisorClient(ws)
    ids = []
    for prompt, _ in WORKERS:
        view = client.call("dispatch", prompt=prompt, provider="fake", actor=operator_actor())
        ids.append(view["id"])
    return DemoRun(root, repo, ids), ws, client


def wait_for_demo(client: SupervisorClient, run: DemoRun, timeout: float = 60) -> dict[str, Any]:
    """Until worker 1 awaits approval, worker 2 waits for input and worker 3 has failed."""
    editor, asker, failer = run.ids
    return {
        "editor": client.call("wait", id=editor, until="awaiting_approval", timeout=timeout),
        "asker": client.call("wait", id=asker, until="waiting", timeout=timeout),
        "failer": client.call("wait", id=failer, until="final", timeout=timeout),
    }
