"""Reading a worker's output and reaching its terminal, for the CLI and the TUI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from cockpit.domain.dispatch import Dispatch
from cockpit.errors import UsageError
from cockpit.runtime.executor import Executor, read_at
from cockpit.runtime.local_executor import LocalExecutor
from cockpit.service.workspace import Workspace

CHUNK = 1 << 20


def resolve_dispatch(ws: Workspace, ref: str) -> Dispatch:
    """The dispatch named by an id or a unique prefix (4+ characters); UsageError otherwise.

    Nothing is created for an unknown id: no state directory, no store, no supervisor.
    """
    if not ws.state.db_path.exists():
        raise UsageError(f"no dispatch {ref!r} in this repository (nothing was dispatched here yet)")
    ws.store.catch_up()
    text = (ref or "").strip().lower()
    d = ws.store.dispatch(text) if text else None
    if d is not None:
        return d
    if len(text) >= 4 and text.isalnum():
        rows = ws.store.ids_starting_with(text)
        if len(rows) == 1 and (d := ws.store.dispatch(rows[0])) is not None:
            return d
        if len(rows) > 1:
            raise UsageError(f"{text!r} matches more than one dispatch; give more of the id")
    raise UsageError(f"no dispatch {ref!r} in this repository", hint="`cockpit status` lists them")


def read_log(path: Path, offset: int = 0, limit: int = CHUNK) -> bytes:
    return read_at(path, offset, limit)


def follow_log(ws: Workspace, dispatch_id: str, *, follow: bool) -> Iterator[bytes]:
    """The log from its start; with `follow`, new output until the dispatch is over."""
    path = ws.state.log(dispatch_id)
    offset = 0
    while chunk := read_log(path, offset):
        offset += len(chunk)
        yield chunk
    if not follow:
        return
    from watchfiles import watch

    def finished() -> bool:
        ws.store.catch_up()
        d = ws.store.dispatch(dispatch_id)
        return d is None or d.final or d.state == "queued" and d.teardown is not None

    if finished():
        return
    names = {path.name, "ledger.head"}
    for _ in watch(
        ws.state.root,
        ws.state.logs,
        recursive=False,
        debounce=100,
        step=30,
        rust_timeout=0,
        watch_filter=lambda _c, p: os.path.basename(p) in names,
    ):
        while chunk := read_log(path, offset):
            offset += len(chunk)
            yield chunk
        if finished():
            while chunk := read_log(path, offset):
                offset += len(chunk)
                yield chunk
            return


def attach_command(ws: Workspace, dispatch_id: str) -> tuple[list[str], dict[str, str]]:
    # The dispatch says where it runs; a worker on an SSH host is attached to with `ssh -t`.
    d = ws.store.dispatch(dispatch_id)
    executor: Executor = LocalExecutor(ws.state)
    if d is not None and d.executor.startswith("ssh:"):
        from cockpit.runtime.hosts_config import load_hosts
        from cockpit.runtime.remote_executor import RemoteExecutor

        host = load_hosts(ws.repo.toplevel).get(d.executor.removeprefix("ssh:"))
        if host is None:
            raise UsageError(f"worker {dispatch_id} runs on {d.executor}, which hosts.yaml no longer lists")
        executor = RemoteExecutor(host, ws.state, ws.git)
    if not executor.has_session(dispatch_id):
        d = ws.store.dispatch(dispatch_id)
        state = d.state if d else "unknown"
        raise UsageError(
            f"worker {dispatch_id} has no tmux session to attach to (it is {state})",
            hint=f"`cockpit logs {dispatch_id}` shows its output",
        )
    return executor.attach_argv(dispatch_id)
