"""Honest markers, checked: which tests start processes, and what they leave behind.

- `integration` is put on every test that uses a fixture starting git, tmux, a supervisor or a
  server (PROCESS_FIXTURES), or carries a marker that implies one (tmux, terminal, conformance).
- While a test that is *not* `integration` runs, an audit hook watches every process start in
  this interpreter; starting git, tmux, ssh or any cockpit program fails that test, so the fast
  loop (`pytest -m "not integration"`) stays fast and its markers stay true.
- At the end of the session, a cockpit supervisor, tmux server or agent started by these tests
  that is still alive fails the suite. Ours are told apart by this run's temporary directory
  (every test's COCKPIT_HOME lives under it, and RUN_ROOT_ENV names it to every process that
  inherits this environment, such as a conformance run's under /tmp), so other people's
  processes are never touched.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PROCESS_FIXTURES = frozenset(
    {
        "repo",  # tests/conftest.py: `git init` and a commit
        "cockpit",  # the real CLI and supervisor
        "workspace",  # tests/ui: a supervisor and its tmux server
        "terminal",  # tests/ui: a tmux pane
        "sshd",
        "served",  # tests/ui/test_serve.py: `cockpit serve` and a browser
        "main_repo",  # tests/git: `git init`
        "grepo",
        "tmux_server",
        "pane",
        "start_pane",
        "run_agent",  # the fake agent as a process (it commits with git)
        "workdir",
        "worker",
        "world",
        "demo_dir",
        "setup",
        "cli_binaries",
        "lab",  # tests/hosts: network namespaces, each with its own sshd
        "lab_env",
    }
)
PROCESS_MARKERS = frozenset({"tmux", "terminal", "conformance"})
RUN_ROOT_ENV = "PYTEST_COCKPIT_RUN_ROOT"  # not COCKPIT_*: code that starts cockpit drops those
SPAWN_EVENTS = frozenset({"subprocess.Popen", "os.posix_spawn", "os.exec", "os.spawn", "os.system"})
FORBIDDEN_PROGRAMS = frozenset({"git", "tmux", "ssh", "sshd", "chromium", "node"})


def mark_integration(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        markers = {m.name for m in item.iter_markers()}
        if fixtures & PROCESS_FIXTURES or markers & PROCESS_MARKERS:
            item.add_marker(pytest.mark.integration)


def program_of(event: str, args: tuple[object, ...]) -> list[str]:
    """The argv of a process start (best effort; os.system gives its command line split)."""
    if event == "os.system":
        return str(args[0]).split()
    argv = args[1]
    if isinstance(argv, (list, tuple)) and argv:
        return [os.fsdecode(a) if isinstance(a, (bytes, str)) else str(a) for a in argv]
    return [os.fsdecode(args[0]) if isinstance(args[0], (bytes, str)) else str(args[0])]


def forbidden(argv: list[str]) -> str | None:
    """What a fast test must not start: git, tmux, ssh, a browser, node, or any cockpit program."""
    if not argv:
        return None
    name = Path(argv[0]).name
    if name in FORBIDDEN_PROGRAMS or name.startswith("cockpit"):
        return name
    if name.startswith("python") and "-m" in argv:
        module = argv[argv.index("-m") + 1] if argv.index("-m") + 1 < len(argv) else ""
        if module == "cockpit" or module.startswith("cockpit."):
            return f"python -m {module}"
    return None


class SpawnWatch:
    """An audit hook (it cannot be removed, so it only records while a fast test runs)."""

    def __init__(self) -> None:
        self.item: pytest.Item | None = None
        self.threads_before: set[int] = set()
        self.seen: list[str] = []
        self.lock = threading.Lock()
        sys.addaudithook(self._audit)

    def _audit(self, event: str, args: tuple[object, ...]) -> None:
        if event not in SPAWN_EVENTS or self.item is None:
            return
        if threading.get_ident() in self.threads_before:  # a thread an earlier test left running
            return
        try:
            argv = program_of(event, args)
            what = forbidden(argv)
        except Exception as exc:  # noqa: BLE001 an audit hook must never break the code it watches
            what = f"(unreadable process start {event}: {exc!r})"
            argv = []
        if what is not None:
            with self.lock:
                self.seen.append(f"{what}: {' '.join(argv)[:200]}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        fast = item.get_closest_marker("integration") is None
        if fast:
            self.threads_before = {t.ident for t in threading.enumerate() if t is not threading.main_thread() and t.ident}
            self.seen = []
            self.item = item
        try:
            yield
        finally:
            self.item = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        outcome = yield
        report = outcome.get_result()
        if call.when != "teardown" or self.item is not item or not self.seen:
            return
        started = "\n  ".join(dict.fromkeys(self.seen))
        why = (
            f"{item.nodeid} is in the fast loop (not marked `integration`) but started:\n  {started}\n"
            "mark it `integration` (pytest.mark.integration, or use a fixture in tests/process_guard.py's "
            "PROCESS_FIXTURES), or make it start nothing"
        )
        earlier = f"{report.longrepr}\n\n" if report.failed and report.longrepr else ""  # keep a teardown's own error
        report.outcome = "failed"
        report.longrepr = earlier + why


# -- leftovers ---------------------------------------------------------------------------------


def _ours(pid: int, root: str) -> str | None:
    """The process's command line when it was started by this run (its environment, working
    directory or command line names this run's temporary directory), else None."""
    proc = Path("/proc", str(pid))
    try:
        if proc.stat().st_uid != os.getuid():
            return None
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        environ = (proc / "environ").read_bytes().decode(errors="replace")
        cwd = os.readlink(proc / "cwd")
    except OSError:  # gone, or not ours to read
        return None
    inside = root.rstrip("/") + "/"  # pytest-12/ is not pytest-123/
    if inside in environ or inside in cmdline or (cwd + "/").startswith(inside):
        home = next((v[len("COCKPIT_HOME=") :] for v in environ.split("\0") if v.startswith("COCKPIT_HOME=")), None)
        where = f" (cwd {cwd}" + (f", COCKPIT_HOME {home})" if home else ")")  # names the test that started it
        return (cmdline or f"pid {pid}") + where
    return None


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def leftovers(root: str, *, grace_s: float = 10.0) -> dict[int, str]:
    """Processes of this run still alive after `grace_s` (a server being torn down gets that long).

    This process and its ancestors are left out; so are zombies (already dead)."""
    me = os.getpid()
    family = {me, *_ancestors(me)}
    deadline = time.monotonic() + grace_s
    while True:
        found = {}
        for pid in _pids():
            if pid in family or _state(pid) in ("Z", "X", None):
                continue
            if (line := _ours(pid, root)) is not None:
                found[pid] = line
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _ancestors(pid: int) -> list[int]:
    chain = []
    while pid > 1:
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
        chain.append(pid)
    return chain


def reap(pids: dict[int, str]) -> None:
    """Kill what was left (it is ours: found under this run's temporary directory)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
