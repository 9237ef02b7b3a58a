"""A remote worker's output, mirrored byte for byte into the local state directory.

One `ssh host tail -c +N -F <log>` per live worker, over the shared master connection,
appends to the local log file: no polling loop, and the local file is the one the service
already reads and watches (inotify). N is always the local file's size + 1, so a stream
restarted after a dropped link or a supervisor restart fetches exactly what was missed.
The signals file is pulled (not streamed) just before output is reported, so a hook's
state is seen before the screen it caused, with one channel per worker on the host.

A stream's pid is kept in a file next to the local log: a new supervisor ends its
predecessor's stream before starting one, so no byte is ever appended twice.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from pathlib import Path

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

    def ensure(self, key: str, remote: str, local: Path) -> bool:
        """A stream for `key` runs (started now if it was not); True when one was started."""
        with self._lock:
            proc = self._procs.get(key)
            if proc is not None and proc.poll() is None:
                return False
            self._end_predecessor(remote, local)
            private_dir(local.parent)
            with open(local, "ab") as sink:
                start = local_size(local) + 1
                proc = self.link.popen(
                    f"exec tail -c +{start} -F {quote_all([remote])} 2>/dev/null",
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.DEVNULL,
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
        Never while a stream appends to the same file."""
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
