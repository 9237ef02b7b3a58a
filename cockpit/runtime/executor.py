"""The Executor seam: everything that depends on WHERE a worker runs.

The supervisor (cockpit/service) decides what happens to a worker: when it starts, what
its screen means, which receipts to write. An Executor does the place-specific work:
making its workspace, running its terminal session, reading its output and its signals,
typing into it, ending its processes, and telling what is still alive after a restart.
`LocalExecutor` (cockpit/runtime/local_executor.py) runs workers on this machine in git
worktrees and a private tmux server; a remote executor (over SSH) implements the same
methods. Nothing above this module knows tmux, /proc or the launcher.

Rules every implementation keeps (the supervisor relies on them):
- Sessions outlive the supervisor: a supervisor killed with SIGKILL loses no worker, and
  the next one finds every session through `sessions()` (alive, or exited with its status).
- Nothing is lost: every byte a worker prints ends up, in order, in its output stream,
  and every line its hooks write in its signals stream, including what was printed while
  no supervisor ran. Both streams are files on THIS machine, `StateDir.log(id)` and
  `StateDir.signal_file(id)` (clients such as `cockpit logs` read them directly): the
  local executor's tmux pipe and the CLI's hooks write them; a remote executor appends
  the bytes it receives. `read_output` / `read_signals` read them from an offset.
  An exited session keeps its exit status until `close_session`.
- Blocking methods are plain functions the service calls through `asyncio.to_thread`;
  the async ones (`changes`, `wait_for_exit`) run on the event loop and must not block
  it. `read_output`, `read_signals` and `output_size` read the local stream files and
  are called on the loop directly: they must stay that cheap.
- Failures are CockpitError subclasses with one clear sentence (SessionError for a
  session that is missing or a terminal server that does not answer).
- Identity: one session per dispatch, named by the dispatch id.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from cockpit.errors import CockpitError
from cockpit.runtime.proctree import ProcInfo, TreeKill, TreeSignal
from cockpit.runtime.teardown import Classification, RestoreResult, TeardownResult

__all__ = [
    "Classification",
    "Executor",
    "ExitWait",
    "LaunchRequest",
    "OutputChange",
    "ProcInfo",
    "RestoreResult",
    "SessionError",
    "SessionExists",
    "SessionStatus",
    "Sessions",
    "SignalSent",
    "TeardownResult",
    "TreeKill",
    "WorkspaceInfo",
]


class SessionError(CockpitError):
    """A session is missing, or the terminal server (or the host) does not answer."""


class SessionExists(SessionError):
    """`start` found a session of that name already running: the caller adopts it."""


@dataclass(frozen=True)
class WorkspaceInfo:
    """A worker's workspace: a checkout on its own branch, at a base commit."""

    path: Path
    branch: str
    base_commit: str


@dataclass(frozen=True)
class LaunchRequest:
    """What to run for one dispatch, fully resolved by the service (provider, mode, env).

    `argv[0]` is the agent's binary; `env` is the agent's whole environment (not merged with
    the executor's own); `stdin_path`, when set, is fed to the agent on stdin (a headless
    prompt); `prompt_path` with `prompt_arg_index` puts the file's text into that argv slot.
    Paths are as the service sees them (the state directory on this machine); a remote
    executor copies or maps them.
    """

    dispatch_id: str
    argv: Sequence[str]
    env: dict[str, str]
    cwd: Path
    stdin_path: Path | None = None
    prompt_path: Path | None = None
    prompt_arg_index: int | None = None
    width: int = 200
    height: int = 50


@dataclass(frozen=True)
class SessionStatus:
    """One worker's session as the executor sees it now.

    `exited` means the worker's process has ended AND its exit is known: `exit_code`, or
    `exit_signal` when a signal ended it (then exit_code is None). `pid` is the session's
    main process (None once exited or where unknown).
    """

    dispatch_id: str
    pid: int | None
    exited: bool
    exit_code: int | None = None
    exit_signal: int | None = None


@dataclass(frozen=True)
class Sessions:
    """Every session of this executor at one moment, from ONE query (a sweep must not see
    a worker twice or at two moments). `reachable` is False when the terminal server (or
    the host) is gone: then no session listed is not "disappeared" but "lost with it"."""

    by_id: dict[str, SessionStatus] = field(default_factory=dict)
    reachable: bool = True

    def get(self, dispatch_id: str) -> SessionStatus | None:
        return self.by_id.get(dispatch_id)


@dataclass(frozen=True)
class OutputChange:
    """A worker's output or signals stream grew (read it with read_output / read_signals)."""

    dispatch_id: str
    stream: Literal["output", "signals"]


ExitWait = Literal["maybe_exited", "unreachable"]


@dataclass(frozen=True)
class SignalSent:
    """What `signal` did: the processes found in the worker's tree and which took the signal."""

    signal: int
    found: list[ProcInfo]
    signalled: list[int]  # pids the signal was delivered to (others were already gone)


@runtime_checkable
class Executor(Protocol):
    """Where workers run. See the module docstring for the rules every method keeps."""

    name: str  # "local", or e.g. "ssh:buildbox": recorded with each worker it starts

    @property
    def location(self) -> dict[str, str]:
        """Facts for receipts and `ping` (the local one: {"socket": <tmux socket name>})."""
        ...

    # -- workspace (blocking) ---------------------------------------------------------------

    def workspace_exists(self, path: Path, branch: str) -> bool:
        """Whether the workspace at `path` on `branch` is there (a restart or a second run)."""
        ...

    def create_workspace(self, dispatch_id: str, path: Path, base_ref: str) -> WorkspaceInfo:
        """Make a checkout of `base_ref` at `path` on the dispatch's own new branch.

        Durable when it returns: the branch and checkout exist. All or nothing: on failure
        no branch or half-made checkout is left behind.
        """
        ...

    def classify_workspace(self, path: Path, branch: str, base_commit: str, target: str | None) -> Classification:
        """What tearing the workspace down would do (clean, merged, committed or dirty)."""
        ...

    def teardown_workspace(
        self, dispatch_id: str, path: Path, branch: str, base_commit: str, target: str | None
    ) -> TeardownResult:
        """Archive everything not already in the target (durably, before deleting anything),
        then remove the checkout and its branch. Idempotent: a second call reports
        `already_gone`. Never called while the dispatch's session is alive."""
        ...

    def restore_workspace(self, dispatch_id: str, path: Path) -> RestoreResult:
        """Bring a torn-down workspace back from its archive, uncommitted work included."""
        ...

    # -- sessions (blocking) ----------------------------------------------------------------

    def start(self, launch: LaunchRequest) -> None:
        """Start the dispatch's session running `launch`, its output captured from the first
        byte (nothing the agent prints before the capture is attached may be lost).

        Raises SessionExists when a session of that dispatch already runs (the caller adopts
        it: a supervisor died right after starting it), SessionError or another CockpitError
        when it cannot start; then nothing of the session is left running.
        """
        ...

    def sessions(self) -> Sessions:
        """Every session, alive or exited, in one query (used by sweeps and after a restart)."""
        ...

    def has_session(self, dispatch_id: str) -> bool: ...

    def close_session(self, dispatch_id: str) -> None:
        """Remove the session (an exited one kept for its status and last screen, or a live
        one whose processes `kill_tree` already ended). No error when it is already gone."""
        ...

    def capture(self, dispatch_id: str, *, ansi: bool = False, history: int = 0) -> str:
        """The visible screen (with colour escapes when `ansi`), plus `history` lines above it;
        wrapped lines joined. SessionError when there is no session."""
        ...

    def paste_text(self, dispatch_id: str, text: str) -> None:
        """Put `text` into the worker's terminal byte-exact (a bracketed paste when the app
        asked for one); never visible to another worker's paste."""
        ...

    def send_keys(self, dispatch_id: str, *keys: str) -> None:
        """Press keys: tmux key names ("Enter", "C-c", "Up"...) or single characters."""
        ...

    def kill_tree(self, dispatch_id: str, grace_s: float) -> TreeKill:
        """End the worker's WHOLE process tree (children that left its session or group
        included): SIGTERM, SIGKILL after `grace_s`, then verify nothing is left; then
        close its session. May block up to `grace_s` and a little more."""
        ...

    def signal(self, dispatch_id: str, sig: int) -> SignalSent:
        """Send `sig` to every process of the worker's tree (e.g. SIGSTOP / SIGCONT to pause
        and resume it) without waiting for any effect. The session stays. What a terminal
        server does about it is the implementation's to say (LocalExecutor.signal: tmux
        resumes a stopped pane process at once)."""
        ...

    def pause_tree(self, dispatch_id: str, action: Literal["stop", "continue"]) -> TreeSignal:
        """Pause ("stop") or resume ("continue") the worker: every process of its tree that can
        hold still (not the terminal's own process, not the exit watcher), again for any forked
        meanwhile, then check each obeyed. Raises CockpitError with the reason when this worker
        cannot be paused (e.g. its agent is the terminal's own process). May block briefly."""
        ...

    def owner_of_process(self, pid: int) -> str | None:
        """The dispatch whose worker runs local process `pid` or one of its ancestors (a client
        asking the supervisor from inside a worker), else None."""
        ...

    def attach_argv(self, dispatch_id: str) -> tuple[list[str], dict[str, str]]:
        """The command (and the environment it runs with) that attaches this terminal to the
        worker's session until the operator detaches. Callers check `has_session` first."""
        ...

    def stop_all(self) -> None:
        """End every session of this executor (a demo or test tearing down its private server)."""
        ...

    # -- streams and events (`changes` and `wait_for_exit` run on the supervisor's loop) ----

    def usage_file(self, dispatch_id: str, path: Path) -> Path:
        """Where to read a file the worker's CLI names in a hook (its transcript or session
        file, for interactive usage) on this machine: `path` itself locally; on a host, a
        local mirror brought up to date first (blocking: only the bytes it lacks)."""
        ...

    def read_output(self, dispatch_id: str, offset: int, limit: int) -> bytes:
        """Up to `limit` bytes of the worker's output from `offset` (b"" at the end so far)."""
        ...

    def read_signals(self, dispatch_id: str, offset: int, limit: int) -> bytes:
        """Up to `limit` bytes of the worker's signals stream (NDJSON lines) from `offset`."""
        ...

    def output_size(self, dispatch_id: str) -> int:
        """How many bytes of output exist now (0 when none yet)."""
        ...

    def changes(self, stop: asyncio.Event) -> AsyncIterator[list[OutputChange]]:
        """Batches of streams that grew, until `stop` is set. Signals come before output in
        a batch (a hook's state must be seen before the screen it caused)."""
        ...

    async def wait_for_exit(self) -> ExitWait:
        """Block until some session may have exited (then the caller calls `sessions()`), or
        return "unreachable" soon when the terminal server is not there. May miss an exit
        that happens while nobody waits: callers also sweep on output and on a slow timer."""
        ...


async def wait_for_exit_signal(argv: Sequence[str]) -> ExitWait:
    """Run a terminal server's exit waiter (`argv`: e.g. `tmux wait-for`, locally or over ssh)
    until it returns: 0 means a worker may have exited, anything else that the server (or the
    link to it) is gone. Shared by every executor whose sessions signal their exits that way."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        code = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
    return "maybe_exited" if code == 0 else "unreachable"


# Every executor keeps its workers' output and signals as files on this machine (the SSH one
# mirrors them there), so reading them is the same wherever the worker runs.
def read_at(path: Path, offset: int, limit: int) -> bytes:
    """Up to `limit` bytes of a worker's local file from `offset` (none yet: empty)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read(limit)
    except FileNotFoundError:
        return b""


def local_size(path: Path) -> int:
    """The size of a worker's local file (none yet: 0)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
