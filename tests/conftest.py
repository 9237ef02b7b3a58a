"""Shared fixtures. Every test runs with its own COCKPIT_HOME and XDG dirs under tmp_path,
so nothing touches the real user's state, config or tmux server."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import process_guard
import pytest


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on the marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    process_guard.mark_integration(items)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(process_guard.SpawnWatch(), "cockpit-spawn-watch")


@pytest.fixture(scope="session", autouse=True)
def _no_process_left_behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fails the run when a supervisor, tmux server or agent these tests started outlives them."""
    root = str(tmp_path_factory.getbasetemp())
    os.environ[process_guard.RUN_ROOT_ENV] = root.rstrip("/") + "/"  # inherited by what the tests start
    yield
    left = process_guard.leftovers(root)
    if left:
        process_guard.reap(left)
        listing = "\n  ".join(f"{pid}: {line[:300]}" for pid, line in sorted(left.items()))
        pytest.fail(f"the tests left {len(left)} process(es) running (now killed):\n  {listing}", pytrace=False)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path_factory.mktemp("cockpit-env")
    monkeypatch.setenv("COCKPIT_HOME", str(base / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "xdg-state"))
    for name in ("COCKPIT_WORKER_ID", "COCKPIT_DISPATCH_ID"):
        monkeypatch.delenv(name, raising=False)


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with one commit on `main`."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    (root / "README.md").write_text("hello\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "initial")
    return root


class Cockpit:
    """A repository with cockpit on it: run the real CLI, talk to the real supervisor."""

    def __init__(self, repo: Path) -> None:
        from cockpit.service.workspace import Workspace

        self.repo = repo
        self.ws = Workspace.open(repo)
        self._client = None

    def run(
        self,
        *args: str,
        input: str | bytes | None = None,
        check: bool = False,
        timeout: float = 120,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess:
        """`cockpit ARGS` as a real process in the repository; text output."""
        import sys

        result = subprocess.run(
            [sys.executable, "-m", "cockpit", *args],
            cwd=self.repo,
            capture_output=True,
            timeout=timeout,
            input=input.encode() if isinstance(input, str) else input,
            env={**os.environ, **(env or {})},
        )
        out = subprocess.CompletedProcess(
            result.args, result.returncode, result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
        )
        if check and out.returncode != 0:
            raise AssertionError(f"cockpit {' '.join(args)} exited {out.returncode}: {out.stderr}{out.stdout}")
        return out

    def dispatch(self, prompt: str, *args: str) -> str:
        return self.run("dispatch", prompt, *args, check=True).stdout.strip()

    @property
    def client(self):
        from cockpit.service.client import SupervisorClient

        if self._client is None:
            self._client = SupervisorClient(self.ws)
        return self._client

    def call(self, op: str, **args):
        return self.client.call(op, **args)

    def wait(self, dispatch_id: str, until: str = "final", timeout: float = 60) -> dict:
        result = self.call("wait", id=dispatch_id, until=until, timeout=timeout)
        assert result["reached"], f"{dispatch_id} did not reach {until}: {result} {self.receipt_kinds(dispatch_id)}"
        return result

    def show(self, dispatch_id: str) -> dict:
        return self.call("show", id=dispatch_id)

    def receipts(self, dispatch_id: str | None = None) -> list:
        from cockpit.ledger import iter_receipts

        return [r for _, r in iter_receipts(self.ws.state.ledger_dir) if dispatch_id is None or r.dispatch == dispatch_id]

    def receipt_kinds(self, dispatch_id: str | None = None) -> list[str]:
        return [r.kind for r in self.receipts(dispatch_id)]

    def tmux(self):
        from cockpit.runtime.tmux import TmuxServer
        from cockpit.runtime.tmux_names import socket_name_for

        return TmuxServer(socket_name_for(self.ws.state.root))

    def stop(self) -> None:
        from cockpit.runtime.tmux_names import socket_path
        from cockpit.service.client import SupervisorClient, supervisor_answers, wait_until_stopped

        if self._client is not None:
            self._client.close()
            self._client = None
        if supervisor_answers(self.ws):
            try:
                SupervisorClient(self.ws, autostart=False).call("shutdown")
            except Exception:
                pass
        # Until its process has ended, not just its socket: a supervisor still finishing a
        # worker's start would start the tmux server again after the kill below.
        wait_until_stopped(self.ws.state, 30)
        tmux = self.tmux()
        tmux.kill_server()
        socket_path(tmux.socket_name).unlink(missing_ok=True)
        self.ws.close()


@pytest.fixture
def cockpit(repo: Path):
    """A real supervisor (started on demand by the CLI) over a real repo and a private tmux server."""
    env = Cockpit(repo)
    yield env
    env.stop()
