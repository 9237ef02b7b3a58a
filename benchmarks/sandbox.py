"""An isolated cockpit for one benchmark: its own repository, state home, supervisor and tmux server.

Nothing here touches the user's cockpit state or tmux server: COCKPIT_HOME and the XDG
directories point into the sandbox, and cockpit's tmux socket is private to its state
directory. `close()` stops the supervisor, kills that private tmux server and deletes
the sandbox.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.procstat import wait_for

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}
_DROPPED = ("TMUX", "TMUX_PANE", "COCKPIT_WORKER_ID", "COCKPIT_DISPATCH_ID")


def receipt_time(ts: str) -> float:
    """A receipt's `ts` as seconds since the epoch."""
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **GIT_IDENTITY, **(env or {})}
    ).stdout


def make_repo(path: Path, files: int) -> Path:
    """A git repository with `files` small files in nested folders (200 per folder), one commit."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    per_dir = 200
    for i in range(files):
        folder = path / "src" / f"pkg{i // per_dir:04d}"
        if i % per_dir == 0:
            folder.mkdir(parents=True)
        (folder / f"module_{i:06d}.py").write_text(
            f'"""Generated module {i}."""\n\nVALUE = {i}\n\n\ndef value_{i}() -> int:\n    return VALUE * 2\n'
        )
    (path / "README.md").write_text("benchmark repository\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", f"{files} generated files")
    return path


class Sandbox:
    def __init__(
        self, name: str, *, files: int = 1, max_workers: int = 8, workdir: Path | None = None, keep: bool = False
    ) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"cockpit-bench-{name}-", dir=workdir))
        self.keep = keep
        self.env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
        self.env.update(GIT_IDENTITY)
        self.env.update(
            {
                "COCKPIT_HOME": str(self.root / "home"),
                "XDG_CONFIG_HOME": str(self.root / "config"),
                "XDG_STATE_HOME": str(self.root / "xdg-state"),
                "COCKPIT_MAX_WORKERS": str(max_workers),
            }
        )
        self._saved_env = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)  # the in-process client and Workspace find the same state
        for name_ in _DROPPED:
            os.environ.pop(name_, None)
        self.repo = make_repo(self.root / "repo", files) if files > 1 else self._tiny_repo()
        from cockpit.runtime.tmux_names import socket_name_for
        from cockpit.service.workspace import Workspace

        self.ws = Workspace.open(self.repo)
        self.socket = socket_name_for(self.ws.state.root)
        self.supervisor: subprocess.Popen[bytes] | None = None
        self._client: Any = None

    def _tiny_repo(self) -> Path:
        path = self.root / "repo"
        path.mkdir(parents=True)
        git(path, "init", "-q", "-b", "main")
        (path / "README.md").write_text("benchmark repository\n")
        git(path, "add", "README.md")
        git(path, "commit", "-q", "-m", "initial")
        return path

    # -- cockpit ------------------------------------------------------------------------

    def cli(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "cockpit", *args], check=False, cwd=self.repo, env=self.env, input=input, capture_output=True
        )
        out = subprocess.CompletedProcess(
            result.args, result.returncode, result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
        )
        if check and out.returncode != 0:
            raise RuntimeError(f"cockpit {' '.join(args)} exited {out.returncode}: {out.stderr.strip()}")
        return out

    def start_supervisor(self) -> int:
        """Start `cockpit supervise` in the foreground of its own session; returns its pid once it answers."""
        from cockpit.service.client import supervisor_answers

        with open(self.root / "supervisor.out", "ab") as log:
            self.supervisor = subprocess.Popen(
                [sys.executable, "-m", "cockpit", "supervise"],
                cwd=self.repo,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(lambda: supervisor_answers(self.ws) or self.supervisor.poll() is not None, 30, what="the supervisor to answer")
        if self.supervisor.poll() is not None:
            raise RuntimeError(f"the supervisor exited with {self.supervisor.returncode}; see {self.root / 'supervisor.out'}")
        return self.supervisor.pid

    def stop_supervisor(self) -> None:
        self.close_client()
        if self.supervisor is None:
            return
        if self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)  # the supervisor's own clean stop
            try:
                self.supervisor.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.supervisor.kill()
                self.supervisor.wait()
        self.supervisor = None

    @property
    def client(self) -> Any:
        from cockpit.service.client import SupervisorClient

        if self._client is None:
            self._client = SupervisorClient(self.ws, autostart=False)
        return self._client

    def close_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def call(self, op: str, **args: Any) -> Any:
        return self.client.call(op, **args)

    def dispatch(self, prompt: str, **args: Any) -> dict[str, Any]:
        return self.call("dispatch", prompt=prompt, actor="bench", **args)

    def wait(self, dispatch_id: str, until: str, timeout: float = 60) -> None:
        result = self.call("wait", id=dispatch_id, until=until, timeout=timeout)
        if not result["reached"]:
            raise TimeoutError(f"{dispatch_id} did not reach {until} within {timeout} s (state {result['state']})")

    def receipts(self, count: int = 200) -> list[Any]:
        from cockpit.ledger import tail

        return tail(self.ws.state.ledger_dir, count)

    # -- tmux ---------------------------------------------------------------------------

    def tmux(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(["tmux", "-L", self.socket, *args], check=False, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def tmux_server_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "#{pid}").strip())

    def pane_pids(self) -> set[int]:
        return {int(x) for x in self.tmux("list-panes", "-a", "-F", "#{pane_pid}").split()}

    # -- cleanup ------------------------------------------------------------------------

    def close(self) -> None:
        try:
            self.stop_supervisor()
        finally:
            subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False, capture_output=True)
            Path(f"/tmp/tmux-{os.getuid()}/{self.socket}").unlink(missing_ok=True)
            self.ws.close()
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            if not self.keep:
                shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def sandbox(name: str, **kwargs: Any) -> Iterator[Sandbox]:
    box = Sandbox(name, **kwargs)
    try:
        yield box
    finally:
        box.close()


def settle(seconds: float) -> None:
    """Let start-up work (screen checks, re-adoption) finish before a measurement window."""
    time.sleep(seconds)
