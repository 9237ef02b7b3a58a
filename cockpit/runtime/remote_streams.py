"""A remote worker's output, mirrored byte for byte into the local state directory.

One `ssh host tail -c +N -F <log>` per live worker, over the shared master connection,
appends to the local log file: no polling loop, and the local file is the one the service
already reads and watches (inotify). N is always the local file's size + 1, so a stream
restarted after a dropped link or a supervisor restart fetches exactly what was missed.
The same ssh channel carries the worker's signals file (what the CLI's hooks append on the
host): a second `tail -c +M -F` there writes to the channel's stderr, which lands in the
local signals file. stdout and stderr are separate byte streams in ssh, so neither needs
framing, and a worker costs one channel on the shared connection (sshd's MaxSessions is 10
by default), not two. M is the local signals file's size + 1, as for the log.

A stream's pid is kept in a file next to the local log: a new supervisor ends its
predecessor's stream before starting one, so no byte is ever appended twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import threading
from pathlib import Path, PurePosixPath
from typing import IO

from cockpit.runtime.executor import local_size
from cockpit.runtime.private_files import private_dir
from cockpit.runtime.ssh import SshLink, quote_all

PULL_TIMEOUT_S = 60.0


def _pid_file(local: Path) -> Path:
    return local.with_name(local.name + ".stream-pid")


def _running_stream(local: Path, remote: str) -> int | None:
    """The pid of a stream (ours or a predecessor's) still appending to `local`, if any."""
    try:
        pid = int(_pid_file(local).read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if remote.encode() in cmdline and b"tail" in cmdline else None


class StreamMirror:
    def __init__(self, link: SshLink) -> None:
        self.link = link
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        self._pull_lock = threading.Lock()

    def ensure(self, key: str, remote: str, local: Path, signals: tuple[str, Path] | None = None) -> bool:
        """A stream for `key` runs (started now if it was not); True when one was started.
        `signals`: (remote, local) of the worker's signals file, mirrored on the same channel."""
        with self._lock:
            proc = self._procs.get(key)
            if proc is not None and proc.poll() is None:
                return False
            self._end_predecessor(remote, local)
            private_dir(local.parent)
            with contextlib.ExitStack() as files:
                sink = files.enter_context(open(local, "ab"))
                command = f"exec tail -c +{local_size(local) + 1} -F {quote_all([remote])} 2>/dev/null"
                errors: int | IO[bytes] = subprocess.DEVNULL
                if signals is not None:
                    remote_signals, local_signals = signals
                    private_dir(local_signals.parent)
                    errors = files.enter_context(open(local_signals, "ab"))
                    command = _with_signals(command, remote_signals, local_size(local_signals) + 1)
                proc = self.link.popen(
                    command,
                    quiet=signals is not None,
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=errors,
                    start_new_session=True,  # a supervisor's Ctrl-C does not cut the stream mid-write
                )
            self._procs[key] = proc
            _pid_file(local).write_text(str(proc.pid))
            return True

    def _end_predecessor(self, remote: str, local: Path) -> None:
        pid = _running_stream(local, remote)
        if pid is None:
            return
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)  # ours (a child): reap it; a predecessor's: not ours to wait on
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                break
            threading.Event().wait(0.02)

    def stop(self, key: str, remote: str, local: Path) -> None:
        with self._lock:
            proc = self._procs.pop(key, None)
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
            self._end_predecessor(remote, local)
            with contextlib.suppress(FileNotFoundError):
                _pid_file(local).unlink()

    def stop_all(self) -> None:
        with self._lock:
            procs, self._procs = list(self._procs.values()), {}
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(10)

    def pull(self, remote: str, local: Path) -> int:
        """Append whatever `remote` has beyond `local`'s size (one round trip); bytes added.
        Never while a stream appends to the same file. One pull at a time: two at once
        would both append the same missing bytes."""
        with self._pull_lock:
            return self._pull(remote, local)

    def _pull(self, remote: str, local: Path) -> int:
        private_dir(local.parent)
        start = local_size(local) + 1
        result = self.link.run(
            f"[ -f {quote_all([remote])} ] && tail -c +{start} {quote_all([remote])} || true", timeout=PULL_TIMEOUT_S
        )
        data = result.raw_stdout
        if data:
            with open(local, "ab") as sink:
                sink.write(data)
        return len(data)


def mirrored_file(dispatch_dir: Path, remote: str) -> Path:
    """Where a file a worker's CLI names on its host is mirrored: one per remote path (the
    hash keeps two files of the same name apart), under the dispatch's state directory."""
    digest = hashlib.sha256(remote.encode()).hexdigest()[:16]
    return dispatch_dir / "host-files" / f"{digest}-{PurePosixPath(remote).name}"


def _with_signals(log_command: str, remote_signals: str, start: int) -> str:
    """`log_command` with the signals file's tail beside it, on the channel's stderr (ssh's
    own messages stay out: `-q` on the link, and tail's own stderr goes to /dev/null). The
    signals tail ends with the log's: the channel closing ends the log tail (SIGPIPE on its
    next write), and the shell then ends its sibling."""
    tail_signals = f"tail -c +{start} -F {quote_all([remote_signals])} >&2 2>/dev/null"
    return f"{tail_signals} & s=$!; {log_command.removeprefix('exec ')}; kill $s 2>/dev/null"
