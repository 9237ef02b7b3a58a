"""Workers on an SSH host: the Executor seam (runtime/executor.py) over the system `ssh`.

How each duty is done (one module each):
  * connection: runtime/ssh.py, one shared master per host (the user's ssh config works);
  * workspace: runtime/remote_git.py, a bare clone under the host's `root`, a worktree per
    dispatch, and a local mirror worktree at the service's path that `sync` fills with the
    remote state (gates judge it; teardown archives it locally BEFORE the host is cleaned);
  * session: runtime/remote_tmux.py, a private tmux server on the host running
    runtime/remote_layout.run_script (gate, then exec the agent);
  * output and signals: runtime/remote_streams.py, one ssh channel per live worker whose
    stdout (`tail -F` of the log) appends to the local log and whose stderr (`tail -F` of
    the signals file the CLI's hooks append to, with cockpit's hook script shipped into the
    run directory) to the local signals file; inotify on both, as locally;
  * exits: `tmux wait-for cockpit-exit` on the host, over ssh; `sessions()` is one call;
  * processes: runtime/remote_procs.py (ps/kill on the host).

Link loss: `sessions()` answers `reachable=False` while the host is silent (its workers go
on there), trying it again with backoff (domain/hosts.py LinkBackoff; no ssh between tries,
`wait_for_exit` sleeps until the next). On the next answer streams restart from the local
size: output printed meanwhile is fetched from the host's log, none appended twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

from cockpit.domain.hosts import Host, LinkBackoff
from cockpit.errors import CheckFailed, CockpitError, UsageError
from cockpit.runtime import teardown as git_teardown
from cockpit.runtime.executor import (
    ExitWait,
    LaunchRequest,
    OutputChange,
    SessionError,
    SessionExists,
    Sessions,
    SessionStatus,
    SignalSent,
    WorkspaceInfo,
    local_size,
    read_at,
    wait_for_exit_signal,
)
from cockpit.runtime.git_repo import BRANCH_PREFIX, GitRepo
from cockpit.runtime.private_files import private_dir
from cockpit.runtime.proctree import TreeKill, TreeSignal
from cockpit.runtime.remote_git import RemoteGit
from cockpit.runtime.remote_layout import RemoteLayout, hook_files, remote_env, run_script, tar_files
from cockpit.runtime.remote_procs import remote_kill_tree, remote_signal, remote_stop_or_continue, remote_tree
from cockpit.runtime.remote_streams import StreamMirror, mirrored_file
from cockpit.runtime.remote_tmux import RemoteTmux
from cockpit.runtime.ssh import SshError, SshLink, quote_all, remote_shell
from cockpit.runtime.statedir import StateDir
from cockpit.runtime.tmux_names import TmuxError, gate_name

WATCH_STEP_MS = 40
WATCH_DEBOUNCE_MS = 400


log = logging.getLogger("cockpit.supervisor")  # its executors run inside the supervisor


class RemoteExecutor:
    """Workers of one repository on one SSH host."""

    def __init__(self, host: Host, state: StateDir, repo: GitRepo) -> None:
        self.host = host
        self.name = f"ssh:{host.name}"
        self.state = state
        self.repo = repo
        self.link = SshLink(host.ssh, env=host.env)
        self.layout = RemoteLayout(host.root, state.root.name)
        self.tmux = RemoteTmux(self.link, self.layout.tmux_socket)
        self.git = RemoteGit(self.link, self.layout, repo)
        self.streams = StreamMirror(self.link)
        self._known: set[str] = set()  # dispatches of this executor seen in start() or sessions()
        self._drained: set[str] = set()  # exited, and every byte of output is here
        # What the last sessions() found: False with ssh's words while the host does not answer
        # (its workers may be running there: "unreachable", not "lost").
        self.link_up = True
        self.link_error: str | None = None
        self.backoff = LinkBackoff()
        self.last_outage: tuple[int, float] | None = None  # (tries, seconds) of the last outage ended
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RemoteExecutor({self.host.name!r})"

    @property
    def location(self) -> dict[str, str]:
        return {"host": self.host.name, "ssh": self.host.ssh, "root": self.host.root, "socket": self.layout.tmux_socket}

    # -- workspace ------------------------------------------------------------------------

    def workspace_exists(self, path: Path, branch: str) -> bool:
        dispatch_id = branch.removeprefix(BRANCH_PREFIX)
        return path.is_dir() and self.repo.branch_exists(branch) and self.git.exists(dispatch_id)

    def create_workspace(self, dispatch_id: str, path: Path, base_ref: str) -> WorkspaceInfo:
        info = self.repo.create_worktree(dispatch_id, path, base_ref)  # the local mirror
        try:
            self.git.push_base(dispatch_id, info.base_commit)
            self.git.add_worktree(dispatch_id, info.base_commit)
        except (CheckFailed, SshError) as exc:
            # All or nothing: no half-made workspace here or there.
            try:
                self.git.remove(dispatch_id)
            except (CheckFailed, SshError):
                pass
            self.repo.remove_worktree(info.path, info.branch)
            raise SessionError(f"cannot make the workspace on {self.host.name}: {exc}") from None
        return WorkspaceInfo(path=info.path, branch=info.branch, base_commit=info.base_commit)

    def sync_workspace(self, dispatch_id: str, path: Path) -> str:
        """Fetch the remote work into the local mirror (before gates judge it); its HEAD."""
        try:
            return self.git.sync(dispatch_id, path)
        except SshError as exc:
            raise SessionError(f"{self.host.name} is unreachable: {exc}") from None

    def current_work(self, dispatch_id: str) -> tuple[str, str] | None:
        """The host's worktree as it is now, fetched here without touching the local mirror:
        (its HEAD, the tree of its files) for a diff; None when the host has no worktree for it."""
        try:
            if not self.git.exists(dispatch_id):
                return None
            self.git.snapshot(dispatch_id)
            head, snapshot = self.git.fetch(dispatch_id)
        except SshError as exc:
            raise SessionError(f"{self.host.name} is unreachable: {exc}") from None
        return head, f"{snapshot}^{{tree}}"

    def classify_workspace(self, path: Path, branch: str, base_commit: str, target: str | None) -> git_teardown.Classification:
        dispatch_id = branch.removeprefix(BRANCH_PREFIX)
        if self.git.exists(dispatch_id):
            self.sync_workspace(dispatch_id, path)
        return git_teardown.classify(self.repo, path, branch, base_commit, target)

    def teardown_workspace(
        self, dispatch_id: str, path: Path, branch: str, base_commit: str, target: str | None
    ) -> git_teardown.TeardownResult:
        """Fetch everything back and archive it locally; only then clean the host."""
        remote_exists = self.git.exists(dispatch_id)
        if remote_exists and path.is_dir():
            self.sync_workspace(dispatch_id, path)
        result = git_teardown.teardown(self.repo, dispatch_id, path, branch, base_commit, target)
        if remote_exists:
            self.git.remove(dispatch_id)
        self.git.forget(dispatch_id)
        return result

    def restore_workspace(self, dispatch_id: str, path: Path) -> git_teardown.RestoreResult:
        """Restores locally (the archive lives here); `restore_on_host` brings it to the host too."""
        return git_teardown.restore(self.repo, dispatch_id, path)

    def restore_on_host(self, dispatch_id: str, path: Path) -> git_teardown.RestoreResult:
        """The archive back on the host, byte for byte, with its local mirror at `path` (as a
        remote worker's workspace is). All or nothing, here and there."""
        try:
            return self.git.restore(dispatch_id, path)
        except SshError as exc:
            raise UsageError(f"cannot restore {dispatch_id} on {self.host.name}: {exc}") from None

    # -- sessions -------------------------------------------------------------------------

    def start(self, launch: LaunchRequest) -> None:
        dispatch_id = launch.dispatch_id
        layout = self.layout
        run_dir = layout.run_dir(dispatch_id)
        mirror = self.state.worktree(dispatch_id)
        if Path(launch.cwd).absolute() != mirror.absolute():
            raise SessionError(f"a remote worker runs in its own worktree, not in {launch.cwd}")
        files: dict[str, bytes] = {}
        if launch.stdin_path is not None:
            files["stdin"] = Path(launch.stdin_path).read_bytes()
        if launch.prompt_path is not None:
            files["prompt"] = Path(launch.prompt_path).read_bytes()
        env = remote_env(launch.env, os.environ, self.host.env)
        env["COCKPIT_SIGNALS"] = layout.signals(dispatch_id)
        files.update(hook_files(launch.env, env, run_dir))
        files["run.sh"] = run_script(
            tmux_socket=layout.tmux_socket,
            gate=gate_name(dispatch_id),
            cwd=layout.worktree(dispatch_id),
            argv=list(launch.argv),
            env=env,
            stdin=f"{run_dir}/stdin" if "stdin" in files else None,
            prompt=f"{run_dir}/prompt" if "prompt" in files else None,
            prompt_arg_index=launch.prompt_arg_index,
        ).encode()
        start = self.tmux.command(
            self.tmux.start_argv(
                dispatch_id,
                cwd=layout.worktree(dispatch_id),
                script=layout.script(dispatch_id),
                log=layout.log(dispatch_id),
                width=launch.width,
                height=launch.height,
            )
        )
        quoted = quote_all([run_dir])
        script = (
            f"umask 077; mkdir -p {quoted} && tar -x -f - -C {quoted} && "
            f"touch {quote_all([layout.log(dispatch_id), layout.signals(dispatch_id)])} && {start}"
        )
        try:
            result = self.link.run(script, stdin=tar_files(files), timeout=60)
        except SshError as exc:
            raise SessionError(f"cannot start {dispatch_id} on {self.host.name}: {exc}") from None
        if result.code != 0:
            stderr = result.stderr.strip()
            if "duplicate session" in stderr:
                raise SessionExists(f"{dispatch_id} already runs on {self.host.name}")
            self.tmux.kill_session(dispatch_id)
            raise TmuxError(f"cannot start {dispatch_id} on {self.host.name}: {stderr or f'exit {result.code}'}")
        with self._lock:
            self._known.add(dispatch_id)
            self._drained.discard(dispatch_id)
        self._ensure_stream(dispatch_id)

    def _ensure_stream(self, dispatch_id: str) -> None:
        signals = (self.layout.signals(dispatch_id), self.state.signal_file(dispatch_id))
        self.streams.ensure(dispatch_id, self.layout.log(dispatch_id), self.state.log(dispatch_id), signals)

    def sessions(self) -> Sessions:
        """One call: every pane, and every run directory's log size (to know when the local
        mirror has caught up). An exited worker is reported exited only once every byte of
        its output is here."""
        prefix = quote_all([os.path.join(self.layout.root, "run", self.layout.repo_key)])
        script = (
            self.tmux.list_panes_script() + f'\necho --sizes\nfor d in {prefix}/*/; do [ -f "$d/output.log" ] && '
            'echo "$(basename "$d") $(wc -c < "$d/output.log")"; done; true'
        )
        if not self.link_up and not self.backoff.due(time.monotonic()):
            return Sessions(reachable=False)  # silent host, next try not due: no ssh
        started = time.monotonic()
        try:
            result = self.link.run(script, timeout=20)
        except SshError as exc:
            self.link_up, self.link_error = False, str(exc)
            self.backoff.failed(time.monotonic(), started)
            return Sessions(reachable=False)
        if (outage := self.backoff.recovered(time.monotonic())) is not None:
            self.last_outage = outage
        self.link_up, self.link_error = True, None
        panes_text, _, sizes_text = result.stdout.partition("--sizes\n")
        panes, server_pid, unreaped = self.tmux.parse_panes(panes_text.splitlines())
        if unreaped and server_pid:
            self.tmux.nudge(server_pid)
        sizes = {}
        for line in sizes_text.splitlines():
            name, _, size = line.rpartition(" ")
            if size.isdigit():
                sizes[name] = int(size)
        by_id = {}
        for pane in panes:
            dispatch_id = pane.session
            with self._lock:
                self._known.add(dispatch_id)
            exited = pane.dead and self._drain(dispatch_id, sizes.get(dispatch_id, 0))
            if not pane.dead:
                self._ensure_stream(dispatch_id)
            by_id[dispatch_id] = SessionStatus(
                dispatch_id=dispatch_id,
                pid=None if exited else pane.pid,
                exited=exited,
                exit_code=pane.dead_status if exited else None,
                exit_signal=pane.dead_signal if exited else None,
            )
        return Sessions(by_id=by_id, reachable=bool(panes) or self._server_alive())

    def link_data(self) -> dict[str, object]:
        """For `status_changed` receipts of the link: down, ssh's words and when it tries next;
        back, how many tries and how long it took."""
        if not self.link_up:
            return {"reason": self.link_error, "retry_in_ms": round(self.backoff.wait_s(time.monotonic()) * 1000)}
        tries, silent_s = self.last_outage or (1, 0.0)
        return {"host": self.host.name, "tries": tries, "unreachable_ms": round(silent_s * 1000)}

    def _server_alive(self) -> bool:
        try:
            return self.tmux.run(["list-sessions", "-F", "x"]).code == 0
        except SshError:
            return False

    def _drain(self, dispatch_id: str, remote_size: int) -> bool:
        """For an exited worker: end its stream and pull the rest; True once it is all here."""
        if dispatch_id in self._drained:
            return True
        remote, local = self.layout.log(dispatch_id), self.state.log(dispatch_id)
        self.streams.stop(dispatch_id, remote, local)
        try:
            self.streams.pull(remote, local)
            self.streams.pull(self.layout.signals(dispatch_id), self.state.signal_file(dispatch_id))
        except SshError:
            return False
        if local_size(local) < remote_size:
            return False
        with self._lock:
            self._drained.add(dispatch_id)
        return True

    def has_session(self, dispatch_id: str) -> bool:
        try:
            return self.tmux.has_session(dispatch_id)
        except SshError as exc:
            raise SessionError(f"{self.host.name} is unreachable: {exc}") from None

    def close_session(self, dispatch_id: str) -> None:
        self.streams.stop(dispatch_id, self.layout.log(dispatch_id), self.state.log(dispatch_id))
        self.tmux.kill_session(dispatch_id)

    def capture(self, dispatch_id: str, *, ansi: bool = False, history: int = 0) -> str:
        return self.tmux.capture(dispatch_id, ansi=ansi, start=-history if history else None)

    def paste_text(self, dispatch_id: str, text: str) -> None:
        self.tmux.paste_text(dispatch_id, text)

    def send_keys(self, dispatch_id: str, *keys: str) -> None:
        self.tmux.send_keys(dispatch_id, *keys)

    def kill_tree(self, dispatch_id: str, grace_s: float) -> TreeKill:
        result = remote_kill_tree(self.link, self.tmux.pane_pid(dispatch_id), grace_s)
        self._drain(dispatch_id, 0)  # the last bytes it printed, before the session goes
        self.close_session(dispatch_id)
        return result

    def signal(self, dispatch_id: str, sig: int) -> SignalSent:
        pane_pid = self.tmux.pane_pid(dispatch_id)
        found = remote_tree(self.link, pane_pid) if pane_pid else []
        return SignalSent(signal=sig, found=found, signalled=remote_signal(self.link, [p.pid for p in found], sig))

    def pause_tree(self, dispatch_id: str, action: Literal["stop", "continue"]) -> TreeSignal:
        pane_pid = self.tmux.pane_pid(dispatch_id)
        if pane_pid is None:
            raise CockpitError(f"cannot {'pause' if action == 'stop' else 'resume'} {dispatch_id}: its tmux pane is gone")
        return remote_stop_or_continue(self.link, pane_pid, action)

    def owner_of_process(self, pid: int) -> str | None:
        return None  # a local process is never a remote worker

    def attach_argv(self, dispatch_id: str) -> tuple[list[str], dict[str, str]]:
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
        return self.tmux.attach_argv(dispatch_id), env

    def stop_all(self) -> None:
        self.streams.stop_all()
        self.tmux.kill_server()

    def detach(self) -> None:
        """End this machine's output streams (a supervisor stopping); the workers go on, and the
        next supervisor's streams start where the local logs end."""
        self.streams.stop_all()

    # -- streams --------------------------------------------------------------------------

    def usage_file(self, dispatch_id: str, path: Path) -> Path:
        """The host's file, mirrored under the dispatch's state directory: one round trip on
        the shared connection fetches what the mirror lacks; link down: what it has so far."""
        local = mirrored_file(self.state.dispatch_dir(dispatch_id), str(path))
        try:
            self.streams.pull(str(path), local)
        except SshError as e:
            log.info("usage file of %s not fetched from %s: %s", dispatch_id, self.host.name, e)
        return local

    def read_output(self, dispatch_id: str, offset: int, limit: int) -> bytes:
        return read_at(self.state.log(dispatch_id), offset, limit)

    def read_signals(self, dispatch_id: str, offset: int, limit: int) -> bytes:
        return read_at(self.state.signal_file(dispatch_id), offset, limit)

    def output_size(self, dispatch_id: str) -> int:
        return local_size(self.state.log(dispatch_id))

    async def changes(self, stop: asyncio.Event) -> AsyncIterator[list[OutputChange]]:
        """inotify on the local mirrors of this executor's logs and signals files (their
        streams append to them); in each batch signals come before output, as locally."""
        from watchfiles import awatch

        logs, signals = self.state.logs, self.state.signals
        for directory in (logs, signals):
            private_dir(directory)

        def stream_of(path: str) -> OutputChange | None:
            name = os.path.basename(path)  # the two directories hold only these two kinds
            if name.endswith(".log") and name[:-4] in self._known:
                return OutputChange(name[:-4], "output")
            if name.endswith(".ndjson") and name[:-7] in self._known:
                return OutputChange(name[:-7], "signals")
            return None

        async for found in awatch(
            logs,
            signals,
            watch_filter=lambda _change, path: stream_of(path) is not None,
            recursive=False,
            step=WATCH_STEP_MS,
            debounce=WATCH_DEBOUNCE_MS,
            stop_event=stop,
        ):
            batch = {change for _kind, path in found if (change := stream_of(path)) is not None}
            yield sorted(batch, key=lambda c: (c.stream != "signals", c.dispatch_id))

    async def wait_for_exit(self) -> ExitWait:
        if not self.link_up:  # no waiter can reach a silent host: wait for the next try instead
            await asyncio.sleep(self.backoff.wait_s(time.monotonic()))
            return "unreachable"
        return await wait_for_exit_signal(self.link.argv(remote_shell(self.tmux.exit_waiter_command(), self.link.remote_env)))
