"""Workers on this machine: git worktrees, one private tmux server, the local launcher, /proc.

The Executor (cockpit/runtime/executor.py) for the place cockpit has always run workers.
Each piece is the code that did this job inside the supervisor before, moved here:
  * workspace: a git worktree on branch cockpit/<id> (runtime/git_repo.py), archived and
    removed by runtime/teardown.py;
  * session: a tmux session on the repository's private server (runtime/tmux.py) running
    the launcher (runtime/launch.py), which execs the agent once pipe-pane is attached;
  * output and signals: files in the state directory (the pane's pipe appends the log,
    the CLI's hooks append the signals file), watched with inotify (runtime/inotify.py);
  * exits: tmux's pane-died hook signals a wait-for channel; `list-panes -a` says which;
  * processes: /proc (runtime/proctree.py), from the pane pid and the launcher's record.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cockpit.errors import CockpitError
from cockpit.runtime import inotify, proctree
from cockpit.runtime import teardown as git_teardown
from cockpit.runtime.executor import (
    ExitWait,
    LaunchRequest,
    OutputChange,
    SessionExists,
    Sessions,
    SessionStatus,
    SignalSent,
    WorkspaceInfo,
    local_size,
    read_at,
    wait_for_exit_signal,
)
from cockpit.runtime.launch import write_launch_spec
from cockpit.runtime.private_files import private_dir
from cockpit.runtime.statedir import StateDir
from cockpit.runtime.tmux import TmuxServer
from cockpit.runtime.tmux_names import TmuxError, gate_name, socket_name_for, socket_path

if TYPE_CHECKING:
    from cockpit.runtime.git_repo import GitRepo
    from cockpit.runtime.teardown import Classification, RestoreResult, TeardownResult

OUTPUT_GAP_S = 0.04  # busy logs are read at most this often (signals at once)
WORKER_MARKER = "COCKPIT_WORKER_ID"  # set in every worker's environment (service/worker_env.py)


class LocalExecutor:
    """Workers in git worktrees of this repository, on its private tmux server."""

    name = "local"

    def __init__(self, state: StateDir, git: Callable[[], GitRepo] | None = None) -> None:
        """`git` gives the repository (built on first use: GitPython is slow to import, and
        clients that only attach or capture never need it)."""
        self.state = state
        self._git = git
        self.tmux = TmuxServer(socket_name_for(state.root))

    def __repr__(self) -> str:
        return f"LocalExecutor({self.tmux.socket_name!r})"

    @property
    def location(self) -> dict[str, str]:
        return {"socket": self.tmux.socket_name}

    @property
    def git(self) -> GitRepo:
        if self._git is None:
            raise RuntimeError("this LocalExecutor was made without a repository (sessions only)")
        return self._git()

    # -- workspace ------------------------------------------------------------------------

    def workspace_exists(self, path: Path, branch: str) -> bool:
        return path.is_dir() and self.git.branch_exists(branch)

    def create_workspace(self, dispatch_id: str, path: Path, base_ref: str) -> WorkspaceInfo:
        info = self.git.create_worktree(dispatch_id, path, base_ref)
        return WorkspaceInfo(path=info.path, branch=info.branch, base_commit=info.base_commit)

    def classify_workspace(self, path: Path, branch: str, base_commit: str, target: str | None) -> Classification:
        return git_teardown.classify(self.git, path, branch, base_commit, target)

    def teardown_workspace(
        self, dispatch_id: str, path: Path, branch: str, base_commit: str, target: str | None
    ) -> TeardownResult:
        return git_teardown.teardown(self.git, dispatch_id, path, branch, base_commit, target)

    def restore_workspace(self, dispatch_id: str, path: Path) -> RestoreResult:
        return git_teardown.restore(self.git, dispatch_id, path)

    # -- sessions -------------------------------------------------------------------------

    def start(self, launch: LaunchRequest) -> None:
        dispatch_id = launch.dispatch_id
        spec_path = self.state.dispatch_dir(dispatch_id) / "launch.json"
        write_launch_spec(
            spec_path,
            socket=self.tmux.socket_name,
            gate=gate_name(dispatch_id),
            argv=list(launch.argv),
            env=launch.env,
            cwd=launch.cwd,
            stdin_path=launch.stdin_path,
            prompt_path=launch.prompt_path,
            prompt_arg_index=launch.prompt_arg_index,
        )
        try:
            self.tmux.start_session(
                dispatch_id,
                cwd=launch.cwd,
                spec_path=spec_path,
                log_path=self.state.log(dispatch_id),
                width=launch.width,
                height=launch.height,
            )
        except TmuxError as exc:
            if "duplicate session" in str(exc):
                raise SessionExists(str(exc)) from None
            raise

    def sessions(self) -> Sessions:
        panes = self.tmux.list_panes()
        reachable = bool(panes) or self.tmux.is_alive()
        return Sessions(
            by_id={
                p.session: SessionStatus(
                    dispatch_id=p.session,
                    pid=p.pid,
                    exited=p.dead,
                    exit_code=p.dead_status,
                    exit_signal=p.dead_signal,
                )
                for p in panes
            },
            reachable=reachable,
        )

    def has_session(self, dispatch_id: str) -> bool:
        return self.tmux.has_session(dispatch_id)

    def close_session(self, dispatch_id: str) -> None:
        self.tmux.kill_session(dispatch_id)

    def capture(self, dispatch_id: str, *, ansi: bool = False, history: int = 0) -> str:
        return self.tmux.capture(dispatch_id, ansi=ansi, start=-history if history else None)

    def paste_text(self, dispatch_id: str, text: str) -> None:
        self.tmux.paste_text(dispatch_id, text)

    def send_keys(self, dispatch_id: str, *keys: str) -> None:
        self.tmux.send_keys(dispatch_id, *keys)

    def _processes(self, dispatch_id: str) -> list[proctree.ProcInfo]:
        pane_pid = self.tmux.pane_pid(dispatch_id)
        return proctree.worker_processes(self.state.dispatch_dir(dispatch_id), pane_pid)

    def kill_tree(self, dispatch_id: str, grace_s: float) -> proctree.TreeKill:
        # Closing the pane alone only sends SIGHUP, which agents may ignore: end the whole
        # tree first (SIGTERM, SIGKILL after the grace period), then its tmux session.
        result = proctree.kill_tree(self._processes(dispatch_id), grace_s)
        self.tmux.kill_session(dispatch_id)
        return result

    def signal(self, dispatch_id: str, sig: int) -> SignalSent:
        """`sig` to the worker's tree, not to cockpit's exit watcher (it must see the exit).

        Caveat (tmux 3.x, server_child_stopped): when the pane's own process stops, tmux
        sends SIGCONT to that process's group at once, so SIGSTOP holds only processes
        outside the pane's process group (children that called setsid). Pausing the agent
        itself needs a process between tmux and the agent (the launcher staying its parent)."""
        watcher = proctree.read_proc_info(self.state.dispatch_dir(dispatch_id)).get("watcher_pid")
        found = [p for p in self._processes(dispatch_id) if p.pid != watcher]
        return SignalSent(signal=sig, found=found, signalled=proctree.signal_tree(found, sig))

    def pause_tree(self, dispatch_id: str, action: Literal["stop", "continue"]) -> proctree.TreeSignal:
        # All but the launcher (the pane's process: tmux would continue its group at once) and
        # the exit watcher; the launcher keeps the agent as its child for exactly this.
        pane_pid = self.tmux.pane_pid(dispatch_id)
        dispatch_dir = self.state.dispatch_dir(dispatch_id)
        _found, why = proctree.pausable_processes(dispatch_dir, pane_pid)
        if why is not None:
            raise CockpitError(f"cannot {'pause' if action == 'stop' else 'resume'} {dispatch_id}: {why}")
        return proctree.stop_or_continue_tree(lambda: proctree.pausable_processes(dispatch_dir, pane_pid)[0], action)

    def owner_of_process(self, pid: int) -> str | None:
        # The worker marker in the environment of it or of any parent, or a worker's pane
        # among its parents (a process that dropped the marker still descends from the pane).
        chain = [pid, *proctree.ancestors(pid)]
        for each in chain:
            if found := proctree.environ_value(each, WORKER_MARKER):
                return found
        panes = {p.pid: p.session for p in self.tmux.list_panes() if p.pid}
        for each in chain:
            if each in panes:
                return panes[each]
        return None

    def attach_argv(self, dispatch_id: str) -> tuple[list[str], dict[str, str]]:
        return self.tmux.attach_argv(dispatch_id), self.tmux.attach_env()

    def stop_all(self) -> None:
        # Every worker of this repository runs on this one private server: killing it ends them all.
        self.tmux.kill_server()
        socket_path(self.tmux.socket_name).unlink(missing_ok=True)  # tmux leaves it behind

    # -- streams --------------------------------------------------------------------------

    def usage_file(self, dispatch_id: str, path: Path) -> Path:
        return path  # the worker runs here: the file its CLI names is on this machine

    def read_output(self, dispatch_id: str, offset: int, limit: int) -> bytes:
        return read_at(self.state.log(dispatch_id), offset, limit)

    def read_signals(self, dispatch_id: str, offset: int, limit: int) -> bytes:
        return read_at(self.state.signal_file(dispatch_id), offset, limit)

    def output_size(self, dispatch_id: str) -> int:
        return local_size(self.state.log(dispatch_id))

    async def changes(self, stop: asyncio.Event) -> AsyncIterator[list[OutputChange]]:
        """inotify on the logs and signals directories (no per-worker loop, no polling): a
        signal line at once, the logs at once after a quiet spell, then at most every OUTPUT_GAP_S."""
        state = self.state
        private_dir(state.logs)
        private_dir(state.signals)
        logs_dir, signals_dir = str(state.logs), str(state.signals)

        def wanted(path: str) -> bool:
            where = os.path.dirname(path)
            return (path.endswith(".log") and where == logs_dir) or (path.endswith(".ndjson") and where == signals_dir)

        signals_watch = inotify.Inotify([state.signals])
        try:
            logs_watch = inotify.Inotify([state.logs])
        except OSError:
            signals_watch.close()
            raise
        try:
            async for found in inotify.watch_paced(signals_watch, logs_watch, wanted, stop, hold_s=OUTPUT_GAP_S):
                batch = {
                    OutputChange(name[:-7], "signals") if name.endswith(".ndjson") else OutputChange(name[:-4], "output")
                    for name in (os.path.basename(path) for path in found)
                }
                yield sorted(batch, key=lambda c: (c.stream != "signals", c.dispatch_id))
        finally:
            signals_watch.close()
            logs_watch.close()

    async def wait_for_exit(self) -> ExitWait:
        # tmux remembers a wait-for signal sent while nobody waits, so no exit between two
        # waits is missed; it fails at once when no server runs.
        return await wait_for_exit_signal(self.tmux.exit_waiter_argv())
