"""`cockpit kill` ends a worker's whole process tree, even processes that ignore SIGHUP
and SIGTERM or left its session (gemini's node process and its child outlived a kill).

Real supervisor, real tmux (private socket), a real test agent that forks."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

# A tiny agent shaped like the gemini CLI that survived a kill: it ignores SIGHUP, forks a
# child that also ignores SIGTERM, and that child forks a grandchild in a session of its own.
STUBBORN_AGENT = textwrap.dedent("""\
    import os, signal, sys, time
    pids = os.environ["PIDS_DIR"]
    def note(name):
        with open(os.path.join(pids, name + ".tmp"), "w") as f:
            f.write(str(os.getpid()))
        os.replace(os.path.join(pids, name + ".tmp"), os.path.join(pids, name))
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if os.fork() == 0:
            os.setsid()
            note("grandchild")
            while True:
                time.sleep(60)
        note("child")
        while True:
            time.sleep(60)
    note("agent")
    print("stubborn agent running", flush=True)
    while True:
        time.sleep(60)
""")


def stubborn_provider(repo: Path, tmp_path: Path) -> Path:
    """A `stubborn` provider in the repository's catalog; returns the directory its pids go to."""
    script = tmp_path / "stubborn_agent.py"
    script.write_text(STUBBORN_AGENT)
    wrapper = tmp_path / "stubborn-agent"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} {script}\n")
    wrapper.chmod(0o755)
    pids = tmp_path / "pids"
    pids.mkdir()
    (repo / ".cockpit").mkdir(exist_ok=True)
    (repo / ".cockpit" / "providers.yaml").write_text(
        textwrap.dedent(f"""\
        providers:
          stubborn:
            binary: {wrapper}
            version_args: []
            headless: {{args: [], prompt_via: stdin}}
            env: {{PIDS_DIR: "{pids}"}}
    """)
    )
    return pids


@pytest.fixture
def reap_stubborn(tmp_path: Path):
    """Whatever a failing test leaves of the stubborn agent is killed here, never left running."""
    yield
    for pid_file in (tmp_path / "pids").glob("*"):
        try:
            pid = int(pid_file.read_text())
            if f"{tmp_path}".encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass


def wait_for(condition, what: str, limit: float = 30.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def running(pid: int) -> bool:
    """Running in /proc: exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def watcher_pids(dispatch_dir: Path) -> list[int]:
    """cockpit's exit watcher: a fork of the launcher, its command line names the launch spec."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                cmdline = Path(entry.path, "cmdline").read_bytes()
            except OSError:
                continue
            if b"cockpit.runtime.launch" in cmdline and str(dispatch_dir).encode() in cmdline:
                found.append(int(entry.name))
    return found


def test_kill_ends_the_whole_tree_and_says_how(cockpit, tmp_path: Path, reap_stubborn) -> None:
    pids_dir = stubborn_provider(cockpit.repo, tmp_path)
    (cockpit.repo / ".cockpit" / "config.yaml").write_text("supervisor:\n  kill_grace_s: 1\n")
    dispatch_id = cockpit.dispatch("stay", "--provider", "stubborn")
    names = ("agent", "child", "grandchild")
    wait_for(lambda: all((pids_dir / n).exists() for n in names), "the agent's processes to start")
    pids = {n: int((pids_dir / n).read_text()) for n in names}
    dispatch_dir = cockpit.ws.state.dispatch_dir(dispatch_id)
    watchers = watcher_pids(dispatch_dir)
    assert watchers, "the launcher left no exit watcher to check"
    assert all(running(p) for p in [*pids.values(), *watchers])

    out = cockpit.run("kill", dispatch_id, check=True).stdout
    for name, pid in pids.items():
        assert not running(pid), f"the {name} ({pid}) still runs after `cockpit kill`"
    for pid in watchers:
        assert not running(pid), f"cockpit's exit watcher ({pid}) still runs after `cockpit kill`"
    assert f"killed {dispatch_id}" in out
    assert "SIGKILL after 1 s" in out and "none left" in out, out

    receipt = [r for r in cockpit.receipts(dispatch_id) if r.kind == "killed"][-1]
    ended = {p["pid"]: p["ended_by"] for p in receipt.data["processes"]}
    assert ended[pids["child"]] == "SIGKILL"  # it ignores SIGTERM
    assert ended[pids["agent"]] == "SIGTERM"
    assert ended[pids["grandchild"]] == "SIGKILL"  # found although it left the session (SIGTERM ignored, inherited)
    assert receipt.data["survivors"] == []
    assert cockpit.show(dispatch_id)["state"] == "killed"


def test_timeout_ends_the_whole_tree_too(cockpit, tmp_path: Path, reap_stubborn) -> None:
    pids_dir = stubborn_provider(cockpit.repo, tmp_path)
    (cockpit.repo / ".cockpit" / "config.yaml").write_text("supervisor:\n  kill_grace_s: 0.5\n")
    dispatch_id = cockpit.dispatch("stay", "--provider", "stubborn", "--timeout", "3")
    wait_for(lambda: all((pids_dir / n).exists() for n in ("agent", "child", "grandchild")), "processes")
    pids = [int((pids_dir / n).read_text()) for n in ("agent", "child", "grandchild")]
    cockpit.wait(dispatch_id, until="timed_out", timeout=60)
    assert not [p for p in pids if running(p)]
    receipt = [r for r in cockpit.receipts(dispatch_id) if r.kind == "timed_out"][-1]
    assert {p["pid"] for p in receipt.data["processes"]} >= set(pids)
