"""RemoteExecutor against a real sshd host (a network namespace): workspace by git, the
fake agent in a private tmux server there, output mirrored here, link loss, teardown."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hostkit import VENV_BIN
from netns_lab import NetnsLab

from cockpit.domain.hosts import Host
from cockpit.runtime.executor import Executor, LaunchRequest
from cockpit.runtime.git_repo import GitRepo
from cockpit.runtime.remote_executor import RemoteExecutor
from cockpit.runtime.statedir import StateDir

BASE_SHA_CMD = ["git", "rev-parse", "HEAD"]


def wait_until(check: Callable[[], object], limit: float = 90.0, what: str = "condition") -> object:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {limit:g}s waiting for {what}")


@pytest.fixture
def remote(lab_env: NetnsLab, repo: Path) -> Iterator[RemoteExecutor]:
    lab_host = lab_env.hosts["h1"]
    host = Host(name="h1", ssh="h1", root=str(lab_host.root), capacity=2, env={"PATH": f"{VENV_BIN}:/usr/bin:/bin"})
    state = StateDir.for_repo(repo, repo / ".git")
    state.ensure()
    executor = RemoteExecutor(host, state, GitRepo(repo, state.git_lock))
    try:
        yield executor
    finally:
        executor.stop_all()


def on_host(executor: RemoteExecutor, script: str) -> str:
    result = executor.link.run(script)
    assert result.code == 0, result.stderr
    return result.stdout


def launch(executor: RemoteExecutor, dispatch_id: str, argv: list[str], *, prompt: bytes | None = None) -> None:
    state = executor.state
    stdin = None
    if prompt is not None:
        stdin = state.dispatch_dir(dispatch_id) / "prompt.txt"
        stdin.parent.mkdir(parents=True, exist_ok=True)
        stdin.write_bytes(prompt)
    env = {**os.environ, "COCKPIT_DISPATCH_ID": dispatch_id, "COCKPIT_WORKER_ID": dispatch_id}
    executor.start(LaunchRequest(dispatch_id, argv, env, state.worktree(dispatch_id), stdin_path=stdin))


def wait_exit(executor: RemoteExecutor, dispatch_id: str, limit: float = 90.0):
    def exited():
        status = executor.sessions().get(dispatch_id)
        return status if status is not None and status.exited else None

    return wait_until(exited, limit, f"{dispatch_id} to exit")


def test_is_an_executor(remote: RemoteExecutor) -> None:
    assert isinstance(remote, Executor)
    assert remote.name == "ssh:h1"


def test_dispatch_output_sync_teardown_archive_and_restore(remote: RemoteExecutor, repo: Path) -> None:
    dispatch_id = "r1a2b3c4d5"
    path = remote.state.worktree(dispatch_id)
    info = remote.create_workspace(dispatch_id, path, "HEAD")
    assert info.branch == f"cockpit/{dispatch_id}" and path.is_dir()
    remote_wt = remote.layout.worktree(dispatch_id)
    assert on_host(remote, f"git -C {remote_wt} rev-parse HEAD").strip() == info.base_commit

    prompt = (
        b"@fake say started on the host\n@fake write notes.txt first\\nsecond\n@fake commit add notes\n"
        b"@fake write draft.txt not committed\\n\n@fake append README.md more\\n\n@fake lines 30 200\n"
    )
    launch(remote, dispatch_id, ["cockpit-fake-agent", "-p", "-"], prompt=prompt)
    status = wait_exit(remote, dispatch_id)
    assert status.exit_code == 0
    output = remote.read_output(dispatch_id, 0, 1 << 20)
    assert output == Path(remote.layout.log(dispatch_id)).read_bytes()  # the host's log, byte for byte
    text = output.decode()
    assert "started on the host" in text and text.count("line 30 of 30") == 1
    assert [line for line in text.splitlines() if " of 30" in line] == [f"line {n} of 30" for n in range(1, 31)]

    # The remote work comes back: the mirror's snapshot is the host's snapshot, tree for tree.
    head = remote.sync_workspace(dispatch_id, path)
    git = remote.repo
    assert head == on_host(remote, f"git -C {remote_wt} rev-parse HEAD").strip()
    remote_tree = git.run_git("rev-parse", f"refs/cockpit/remote/{dispatch_id}/snapshot^{{tree}}")
    assert git.snapshot(path).worktree_tree == remote_tree
    assert (path / "notes.txt").read_text() == "first\nsecond"
    assert (path / "draft.txt").read_text() == "not committed\n"
    classification = remote.classify_workspace(path, info.branch, info.base_commit, "main")
    assert classification.kind == "dirty" and classification.commits_ahead == 1

    # Teardown archives here first, then cleans the host; restore brings it all back.
    remote.close_session(dispatch_id)
    result = remote.teardown_workspace(dispatch_id, path, info.branch, info.base_commit, "main")
    assert result.archive_ref == f"refs/cockpit/archive/{dispatch_id}"
    assert not path.exists() and not git.branch_exists(info.branch)
    assert on_host(remote, f"[ -e {remote_wt} ] && echo there || echo gone").strip() == "gone"
    assert "cockpit/" + dispatch_id not in on_host(remote, f"git -C {remote.layout.repo} branch --list")
    again = remote.teardown_workspace(dispatch_id, path, info.branch, info.base_commit, "main")
    assert again.already_gone
    restored = remote.restore_workspace(dispatch_id, path)
    assert restored.had_uncommitted
    assert (path / "notes.txt").read_bytes() == b"first\nsecond"
    assert (path / "draft.txt").read_bytes() == b"not committed\n"
    assert (path / "README.md").read_bytes() == b"hello\nmore\n"


def test_link_cut_while_working_then_restored_loses_no_output(remote: RemoteExecutor, lab_env: NetnsLab) -> None:
    dispatch_id = "r2link0cut"
    path = remote.state.worktree(dispatch_id)
    remote.create_workspace(dispatch_id, path, "HEAD")
    launch(remote, dispatch_id, ["cockpit-fake-agent", "-p", "-"], prompt=b"@fake lines 60 4\n")
    wait_until(lambda: b"line 3 of 60" in remote.read_output(dispatch_id, 0, 1 << 20), what="the first lines")
    lab_env.link_down("h1")
    try:
        assert remote.sessions().reachable is False
        size_while_down = remote.output_size(dispatch_id)
        time.sleep(3)  # the worker keeps printing on the host meanwhile
    finally:
        lab_env.link_up("h1")
    sessions = wait_until(lambda: (s := remote.sessions()).reachable and s, what="the host to answer again")
    assert sessions.get(dispatch_id) is not None
    status = wait_exit(remote, dispatch_id, limit=120)
    assert status.exit_code == 0
    text = remote.read_output(dispatch_id, 0, 1 << 20).decode()
    assert remote.output_size(dispatch_id) > size_while_down
    assert [line for line in text.splitlines() if " of 60" in line] == [f"line {n} of 60" for n in range(1, 61)]


def test_signals_keys_capture_kill(remote: RemoteExecutor) -> None:
    dispatch_id = "r3keys0sig"
    path = remote.state.worktree(dispatch_id)
    remote.create_workspace(dispatch_id, path, "HEAD")
    launch(remote, dispatch_id, ["cockpit-fake-agent"])  # interactive
    wait_until(lambda: "> " in remote.capture(dispatch_id), what="the prompt")
    remote.paste_text(dispatch_id, "@fake say pasted over ssh")
    remote.send_keys(dispatch_id, "Enter")
    wait_until(lambda: "pasted over ssh" in remote.capture(dispatch_id, history=50), what="the answer")
    status = remote.sessions().get(dispatch_id)
    assert status is not None and not status.exited and status.pid
    # The agent runs its hook as a CLI does (`sh "$COCKPIT_SIGNAL_HOOK" EVENT`): the script is
    # cockpit's copy in the host's run directory, and the line it appends there streams here.
    run_dir = remote.layout.run_dir(dispatch_id)
    assert f"COCKPIT_SIGNAL_HOOK={run_dir}/signal-hook.sh" in on_host(remote, f"cat {run_dir}/run.sh")
    remote.paste_text(dispatch_id, '@fake hook Stop {"n": 1}')
    remote.send_keys(dispatch_id, "Enter")
    first = b'{"source":"hook","event":"Stop","payload":{"n": 1}}\n'
    wait_until(lambda: remote.read_signals(dispatch_id, 0, 4096) == first, what="the hook's line here")
    # A line with no output beside it arrives too: the signals file is streamed, not pulled.
    # First every byte the agent wrote for the hook command is here (its log is then still).
    host_log = remote.layout.log(dispatch_id)
    wait_until(
        lambda: (
            remote.output_size(dispatch_id) == int(on_host(remote, f"wc -c < {host_log}").strip())
            and remote.capture(dispatch_id).rstrip().endswith(">")
        ),
        what="the agent's output for the hook command, all of it here",
    )
    size = remote.output_size(dispatch_id)
    on_host(remote, f"printf '%s\\n' '{{\"event\":\"quiet\"}}' >> {remote.layout.signals(dispatch_id)}")
    wait_until(lambda: remote.read_signals(dispatch_id, 0, 4096) == first + b'{"event":"quiet"}\n', what="the line")
    assert remote.output_size(dispatch_id) == size
    killed = remote.kill_tree(dispatch_id, grace_s=5)
    assert killed.found and not killed.survivors
    assert remote.sessions().get(dispatch_id) is None


def test_supervisor_restart_readopts_without_duplicating_output(remote: RemoteExecutor) -> None:
    dispatch_id = "r4readopt0"
    path = remote.state.worktree(dispatch_id)
    remote.create_workspace(dispatch_id, path, "HEAD")
    launch(remote, dispatch_id, ["cockpit-fake-agent", "-p", "-"], prompt=b"@fake lines 40 8\n")
    wait_until(lambda: b"line 2 of 40" in remote.read_output(dispatch_id, 0, 1 << 20), what="output")
    # A new executor (a restarted supervisor) adopts the running worker; the old one's stream ends.
    successor = RemoteExecutor(remote.host, remote.state, remote.repo)
    assert successor.sessions().get(dispatch_id) is not None
    status = wait_exit(successor, dispatch_id)
    assert status.exit_code == 0
    text = successor.read_output(dispatch_id, 0, 1 << 20).decode()
    assert [line for line in text.splitlines() if " of 40" in line] == [f"line {n} of 40" for n in range(1, 41)]
