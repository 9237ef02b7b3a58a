"""`cockpit demo`: a demo repository and three fake-agent workers, no account or API key needed.

One worker edits and commits (its gates pass and it awaits approval), one asks a
question and waits for the operator, one fails.

The repository lives where the operator can find it again (by default
`$XDG_DATA_HOME/cockpit/demo`, `~/.local/share/cockpit/demo`), and its state lives in the
normal per-repository place, so `cockpit` inside it later shows the same workers. A file
in its git directory marks it as a demo: only such a folder is ever replaced or removed.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict

from cockpit.errors import CockpitError, UsageError
from cockpit.service.client import SupervisorClient, supervisor_answers, wait_until_stopped
from cockpit.service.identity import operator_actor
from cockpit.service.workspace import Workspace

log = logging.getLogger("cockpit.demo")
MARKER = "cockpit-demo"  # a file in the demo repository's .git directory
STOP_TIMEOUT_S = 20.0
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
      @fake review
required:
  medium: [scope, commands, conflicts, review]
"""

WORKERS: list[tuple[str, list[str]]] = [
    (
        "Add a greeting file\n@fake say reading the task\n@fake lines 5 20\n@fake write greeting.txt Hello from cockpit!\\n"
        "\n@fake commit Add greeting.txt\n@fake usage 5200 830 0.0312\n@fake say done",
        [],
    ),
    (
        "Migrate the settings format\n@fake say looking at settings.ini\n@fake ask Rewrite settings.ini in place?\n"
        "@fake write settings.ini [main]\\nformat = 2\\n\n@fake say migrated",
        [],
    ),
    (
        "Upgrade the build tool\n@fake say trying the upgrade\n@fake lines 3 10\n@fake say error: the upgrade failed\n"
        "@fake exit 3",
        [],
    ),
]


@dataclass
class DemoRun:
    repo: Path
    ids: list[str]
    replaced: bool = False


def default_demo_dir(env: dict[str, str] | None = None) -> Path:
    """Where `cockpit demo` puts its repository unless told otherwise: the user's data dir."""
    env = dict(os.environ if env is None else env)
    base = Path(env["XDG_DATA_HOME"]).expanduser() if env.get("XDG_DATA_HOME") else Path.home() / ".local" / "share"
    return base / "cockpit" / "demo"


def is_demo(path: Path) -> bool:
    return (path / ".git" / MARKER).is_file()


def check_demo_path(path: Path) -> bool:
    """True when `path` holds a previous demo, False when it does not exist; else one clear error."""
    if not path.exists() and not path.is_symlink():
        return False
    if is_demo(path):
        return True
    raise UsageError(
        f"{path} already exists and is not a cockpit demo; nothing was changed",
        hint="pick another place with `cockpit demo --dir PATH`, or move that folder away",
    )


def _git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "cockpit demo",
        "GIT_AUTHOR_EMAIL": "demo@cockpit.invalid",
        "GIT_COMMITTER_NAME": "cockpit demo",
        "GIT_COMMITTER_EMAIL": "demo@cockpit.invalid",
    }
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def make_demo_repo(path: Path) -> Path:
    """Create the demo repository at `path` (built aside, then renamed in: never half there)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".cockpit-demo-", dir=path.parent))
    except OSError as exc:
        raise UsageError(
            f"cannot create the demo at {path}: {exc.strerror}", hint="pick a writable place with `cockpit demo --dir PATH`"
        ) from None
    try:
        repo = scratch / "repo"
        repo.mkdir()
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "config", "user.name", "cockpit demo")
        _git(repo, "config", "user.email", "demo@cockpit.invalid")
        (repo / "README.md").write_text("# demo\n\nA repository made by `cockpit demo` (`cockpit demo --clean` removes it).\n")
        (repo / "settings.ini").write_text("[main]\nformat = 1\n")
        (repo / "check.sh").write_text("#!/bin/sh\n# the demo's test suite\ntest -f README.md && echo 'all checks passed'\n")
        (repo / ".cockpit").mkdir()
        (repo / ".cockpit" / "gates.yaml").write_text(GATES_YAML)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "Initial commit")
        (repo / ".git" / MARKER).write_text("made by `cockpit demo`; `cockpit demo --clean` removes this repository\n")
        os.rename(repo, path)
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        raise UsageError(
            f"git could not make the demo repository: {detail[-1] if detail else exc}", hint="`cockpit doctor` checks git"
        ) from None
    except OSError as exc:
        raise UsageError(
            f"cannot create the demo at {path}: {exc.strerror}", hint="pick a writable place with `cockpit demo --dir PATH`"
        ) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return path


def start_demo(path: Path) -> tuple[DemoRun, Workspace, SupervisorClient]:
    """A fresh demo at `path` (replacing a previous demo there), its three workers dispatched."""
    replaced = check_demo_path(path)
    if replaced:
        clean_demo(path)
    repo = make_demo_repo(path)
    ws = Workspace.open(repo)
    client = SupervisorClient(ws)
    ids = []
    for prompt, _ in WORKERS:
        view = client.call("dispatch", prompt=prompt, provider="fake", actor=operator_actor())
        ids.append(view["id"])
    return DemoRun(repo, ids, replaced), ws, client


class Waited(TypedDict):
    """A `wait` reply as the CLI's client gets it (the protocol's WaitReply, as JSON)."""

    id: str
    reached: bool
    state: str
    until: str


def wait_for_demo(client: SupervisorClient, run: DemoRun, timeout: float = 60) -> dict[str, Waited]:
    """Until worker 1 awaits approval, worker 2 waits for input and worker 3 has failed; by role
    (editor, asker, failer)."""
    editor, asker, failer = run.ids
    return {
        "editor": client.call("wait", id=editor, until="awaiting_approval", timeout=timeout),
        "asker": client.call("wait", id=asker, until="waiting", timeout=timeout),
        "failer": client.call("wait", id=failer, until="final", timeout=timeout),
    }


class Cleaned(TypedDict):
    removed: bool  # False: there was no demo at `repo`
    repo: str
    state: NotRequired[str]  # the state directory removed with it


def clean_demo(path: Path) -> Cleaned:
    """Stop the demo's supervisor and workers, then remove its state and its repository."""
    from cockpit.runtime.local_executor import LocalExecutor

    if not check_demo_path(path):
        return Cleaned(removed=False, repo=str(path))
    ws = Workspace.open(path, create=False)
    if supervisor_answers(ws):
        try:
            SupervisorClient(ws, autostart=False).call("shutdown")
        except (CockpitError, OSError) as exc:  # it may be leaving already; the lock below tells
            log.info("demo supervisor did not take shutdown: %s", exc)
    if not wait_until_stopped(ws.state, STOP_TIMEOUT_S):
        raise UsageError(
            f"the demo's supervisor did not stop within {STOP_TIMEOUT_S:.0f} s; nothing was removed",
            hint=f"see {ws.state.supervisor_log}, then run `cockpit demo --clean` again",
        )
    # The demo's workers run on its own private tmux server: stopping that server stops them all.
    LocalExecutor(ws.state).stop_all()
    state = ws.state.root
    ws.close()
    shutil.rmtree(state, ignore_errors=True)
    shutil.rmtree(path)
    return Cleaned(removed=True, repo=str(path), state=str(state))
