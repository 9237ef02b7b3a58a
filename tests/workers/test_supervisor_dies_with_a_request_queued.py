"""A supervisor that dies with a command's request still queued on its socket, unread.

A SIGKILLed supervisor's listening socket is released only when its LAST thread has exited;
its main thread is a zombie before that (an exiting thread can spend a while unmapping memory
or closing inotify descriptors, which waits for the kernel's fsnotify reaper), and meanwhile
the kernel still queues connections and their requests on the socket. When the socket goes, each queued connection is reset. A command that connected
then must neither fail nor run twice: nobody read its request, so it goes to a new supervisor
once. Here the window is held open on purpose: the supervisor is stopped (SIGSTOP) while the
command connects and writes, and killed while the command waits for the answer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from workerkit import wait_for

from cockpit.runtime.proctree import read_stat


def waiting_for_an_answer(pid: int) -> bool:
    """True once the process sleeps in a read on a unix stream socket (its request is written)."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text().startswith("unix_stream")
    except OSError:
        return False


def test_a_dispatch_queued_on_a_dying_supervisor_runs_once_under_a_new_one(cockpit) -> None:
    old = int(cockpit.call("ping")["pid"])
    cockpit.client.close()
    os.kill(old, signal.SIGSTOP)
    try:
        wait_for(lambda: read_stat(old).state == "T", "the supervisor to stop", limit=60)
        command = subprocess.Popen(
            [sys.executable, "-m", "cockpit", "dispatch", "@fake say once"],
            cwd=cockpit.repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for(lambda: waiting_for_an_answer(command.pid), "the dispatch to wait for its answer", limit=60)
    finally:
        os.kill(old, signal.SIGKILL)  # the queued connection is reset when its socket goes
    out, err = command.communicate(timeout=120)
    assert (command.returncode, err) == (0, ""), err
    dispatch_id = out.strip()
    assert dispatch_id and "\n" not in dispatch_id
    new = int(cockpit.call("ping")["pid"])
    assert new != old
    started = [r for r in cockpit.receipts() if r.kind == "supervisor_started"]
    assert [r.data["pid"] for r in started] == [old, new]
    assert {r.dispatch for r in cockpit.receipts() if r.dispatch} == {dispatch_id}  # dispatched once, not twice
    cockpit.wait(dispatch_id)
