"""The LocalExecutor through its Executor interface, on a real private tmux server and /proc.

These are the guarantees the supervisor relies on (cockpit/runtime/executor.py): every
byte of output from the first, the exit status kept, the whole process tree paused,
resumed and ended, a duplicate start refused, streams announced by `changes`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from cockpit.runtime.executor import Executor, LaunchRequest, OutputChange, SessionExists
from cockpit.runtime.local_executor import LocalExecutor
from cockpit.runtime.proctree import read_proc_info, read_stat
from cockpit.runtime.statedir import StateDir
from tests.tmux.helpers import wait_until

pytestmark = [pytest.mark.tmux, pytest.mark.integration]

# A worker that forks a child into a new session (as agents' tool runs do), says who is
# who, then waits for a line on stdin or its end.
TREE_WORKER = textwrap.dedent(
    """
    import os, subprocess, sys, time
    child = subprocess.Popen(["sleep", "300"], start_new_session=True)
    print(f"ready parent={os.getpid()} child={child.pid}", flush=True)
    time.sleep(300)
    """
)


@pytest.fixture
def executor(tmp_path: Path) -> Iterator[LocalExecutor]:
    state = StateDir(root=tmp_path / "state", repo_root=tmp_path, common_dir=tmp_path / ".git")
    state.ensure()
    local = LocalExecutor(state)
    yield local
    local.stop_all()
    assert not local.tmux.is_alive()
    base = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
    assert not (base / local.location["socket"]).exists()  # stop_all leaves no socket file behind


def launch(executor: LocalExecutor, dispatch_id: str, code: str) -> LaunchRequest:
    executor.state.dispatch_dir(dispatch_id).mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
    request = LaunchRequest(
        dispatch_id=dispatch_id, argv=[sys.executable, "-c", code], env=env, cwd=executor.state.root, width=80, height=24
    )
    executor.start(request)
    return request


def output(executor: LocalExecutor, dispatch_id: str) -> str:
    return executor.read_output(dispatch_id, 0, 1 << 20).decode()


def proc_info(executor: LocalExecutor, dispatch_id: str) -> dict[str, int | None]:
    return read_proc_info(executor.state.dispatch_dir(dispatch_id))


def state_of(pid: int) -> str:
    info = read_stat(pid)
    return info.state if info is not None else "gone"


def test_the_local_executor_has_every_method_of_the_protocol(tmp_path: Path) -> None:
    state = StateDir(root=tmp_path / "state", repo_root=tmp_path, common_dir=tmp_path / ".git")
    local: Executor = LocalExecutor(state)  # mypy checks the signatures; isinstance the names
    assert isinstance(local, Executor)
    assert local.name == "local" and local.location == {"socket": LocalExecutor(state).tmux.socket_name}


def test_output_and_exit_status_are_kept_until_the_session_is_closed(executor: LocalExecutor) -> None:
    launch(executor, "exits3", "import sys; print('first line', flush=True); sys.exit(3)")
    status = wait_until(
        lambda: (s := executor.sessions().get("exits3")) is not None and s.exited and s, timeout=60, what="the exit"
    )
    assert status.exit_code == 3 and status.exit_signal is None
    assert "first line" in output(executor, "exits3")
    assert executor.output_size("exits3") == len(executor.read_output("exits3", 0, 1 << 20))
    assert executor.read_output("exits3", executor.output_size("exits3"), 100) == b""
    executor.close_session("exits3")
    assert executor.sessions().get("exits3") is None
    executor.close_session("exits3")  # no error when already gone


def test_a_second_start_of_the_same_dispatch_is_refused_and_the_first_runs_on(executor: LocalExecutor) -> None:
    request = launch(executor, "twice", "import time; print('one', flush=True); time.sleep(300)")
    wait_until(lambda: "one" in output(executor, "twice"), timeout=60, what="its output")
    with pytest.raises(SessionExists):
        executor.start(request)
    status = executor.sessions().get("twice")
    assert status is not None and not status.exited and executor.has_session("twice")


def test_the_whole_tree_is_signalled_and_ended(executor: LocalExecutor) -> None:
    launch(executor, "tree", TREE_WORKER)
    line = wait_until(lambda: "ready" in (text := output(executor, "tree")) and text, timeout=60, what="ready")
    fields = dict(part.split("=") for part in line.split() if "=" in part)
    parent, child = int(fields["parent"]), int(fields["child"])
    assert executor.owner_of_process(child) == "tree"  # its parent is the pane's process
    assert executor.owner_of_process(os.getpid()) is None
    paused = executor.signal("tree", signal.SIGSTOP)
    assert {parent, child} <= set(paused.signalled)
    watcher = proc_info(executor, "tree")["watcher_pid"]
    assert watcher and watcher not in paused.signalled  # cockpit's exit watcher keeps watching
    # The child left the pane's process group, so tmux does not resume it (see LocalExecutor.signal).
    wait_until(lambda: state_of(child) == "T", timeout=30, what="the child stopped")
    resumed = executor.signal("tree", signal.SIGCONT)
    assert {parent, child} <= set(resumed.signalled)
    wait_until(lambda: state_of(child) != "T", timeout=30, what="the child running again")
    ended = executor.kill_tree("tree", 2.0)
    assert not ended.survivors
    assert {parent, child} <= {p.pid for p in ended.found}
    assert state_of(child) in ("gone", "Z") and state_of(parent) in ("gone", "Z")
    assert not executor.has_session("tree")


def test_changes_announce_output_and_signals_and_the_exit_wait_wakes(executor: LocalExecutor) -> None:
    async def scenario() -> tuple[list[OutputChange], str]:
        stop = asyncio.Event()
        seen: list[OutputChange] = []

        async def watch() -> None:
            async for batch in executor.changes(stop):
                seen.extend(batch)
                if {c.stream for c in seen} == {"output", "signals"}:
                    return

        watcher = asyncio.create_task(watch())
        await asyncio.sleep(0.3)  # the watch is set up before anything is written
        code = "import time; time.sleep(0.5); print('hello', flush=True); time.sleep(1)"
        await asyncio.to_thread(launch, executor, "streams", code)
        executor.state.signal_file("streams").write_bytes(b'{"event": "Stop"}\n')
        exit_wait = await asyncio.wait_for(executor.wait_for_exit(), 60)
        await asyncio.wait_for(watcher, 60)
        stop.set()
        return seen, exit_wait

    seen, exit_wait = asyncio.run(scenario())
    assert OutputChange("streams", "output") in seen and OutputChange("streams", "signals") in seen
    assert exit_wait == "maybe_exited"
    assert executor.read_signals("streams", 0, 100) == b'{"event": "Stop"}\n'
    assert "hello" in output(executor, "streams")
