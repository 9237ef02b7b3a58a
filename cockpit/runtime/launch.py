"""The launcher that runs first inside each worker's tmux pane.

tmux starts `python -P -m cockpit.runtime.launch SPEC_JSON`. The launcher waits on
its tmux gate (signalled only after pipe-pane is attached, so the log gets every
byte the agent prints), then forks and execs the agent as its only child, waits for
it and ends the way it ended (same exit code, or killed by the same signal): the
agent's exit status is the pane's dead status. No shell ever sees the prompt or the
argv: they travel in a JSON file and then straight through execve.

Why a parent stays (a few MB, asleep in waitpid): tmux sends SIGCONT to a pane's
process group as soon as the pane's own process stops, so an agent that WAS the pane
process could never be paused (`cockpit pause`). Stopping the launcher's child is
invisible to tmux, and the launcher waits without WUNTRACED, so it stays asleep too.

Imports stay minimal (this runs once per dispatch, before the agent starts), and
the spec reader and writer live together so the format cannot drift.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time

# Exit code when the agent could not be started (the shell's "command not found").
CANNOT_START = 127

# Written next to the launch spec just before the agent starts: the pane process's pid (the
# launcher, the agent's parent), session, process group and the exit watcher's pid, so a kill
# can end the whole tree and a pause can stop all of it but the launcher (runtime/proctree.py).
PROC_INFO_NAME = "proc.json"

SPEC_KEYS = ("socket", "gate", "argv", "env", "cwd", "stdin_path", "prompt_path", "prompt_arg_index")


def write_launch_spec(
    path: str | os.PathLike[str],
    *,
    socket: str,
    gate: str,
    argv: list[str],
    env: dict[str, str],
    cwd: str | os.PathLike[str],
    stdin_path: str | os.PathLike[str] | None,
    prompt_path: str | os.PathLike[str] | None,
    prompt_arg_index: int | None,
) -> None:
    """Write the launch spec atomically (temp file + rename), readable by its owner only.

    `env` is the complete environment the agent gets, except TERM, which is set to
    the pane's terminal type. With `prompt_arg_index`, argv[index] is replaced
    at launch by the exact bytes of `prompt_path` (Linux caps one argument at 128 KiB).
    """
    if not argv:
        raise ValueError("argv must name a program")
    if prompt_arg_index is not None:
        if prompt_path is None:
            raise ValueError("prompt_arg_index needs prompt_path")
        if not 0 <= prompt_arg_index < len(argv):
            raise ValueError(f"prompt_arg_index {prompt_arg_index} is outside argv (length {len(argv)})")
    spec = {
        "socket": socket,
        "gate": gate,
        "argv": list(argv),
        "env": dict(env),
        "cwd": os.fspath(cwd),
        "stdin_path": None if stdin_path is None else os.fspath(stdin_path),
        "prompt_path": None if prompt_path is None else os.fspath(prompt_path),
        "prompt_arg_index": prompt_arg_index,
    }
    data = json.dumps(spec, ensure_ascii=True, sort_keys=True).encode("ascii")
    path = os.fspath(path)
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_launch_spec(path: str) -> dict:
    with open(path, "rb") as handle:
        spec = json.loads(handle.read())
    missing = [key for key in SPEC_KEYS if key not in spec]
    if missing:
        raise ValueError(f"launch spec {path} lacks {', '.join(missing)}")
    return spec


def _fail(message: str) -> int:
    sys.stderr.write(f"cockpit: {message}\n")
    sys.stderr.flush()
    return CANNOT_START


def _tmux(socket: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, check=False)


def _wait_for_gate(socket: str, gate: str) -> bool:
    # -L names cockpit's private server; $TMUX (which points at it anyway) is ignored.
    return subprocess.run(["tmux", "-L", socket, "wait-for", gate], check=False).returncode == 0


# Exit watch. Debian's tmux is built with libutempter, which briefly sets SIGCHLD to
# SIG_DFL while its helper runs at pane close; a pane whose process exits in that
# window is never reaped (a zombie), its status never known, and the pane-died hook
# never fires (tmux issues #311, #4559; about 1 exit in 200 here). A small watcher
# waits on a pidfd for the agent's exit and nudges tmux with SIGCHLD until the
# status is known. It holds no pane fds and lives in its own session.
_NUDGE_DELAYS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 5.0)


def _watch_exit(pidfd: int, socket: str, pane: str) -> None:
    select.select([pidfd], [], [])  # readable once the agent has exited
    for delay in _NUDGE_DELAYS:
        time.sleep(delay)
        result = _tmux(socket, "display-message", "-p", "-t", pane, "#{pid} #{pane_dead_status}#{pane_dead_signal}")
        if result.returncode != 0:
            return  # the pane or the server is gone: nobody is waiting for this status
        server_pid, _, known = result.stdout.strip().partition(" ")
        if known:
            return
        try:  # harmless when nothing is pending: tmux just runs waitpid(WNOHANG)
            os.kill(int(server_pid), signal.SIGCHLD)
        except (OSError, ValueError):
            return


def _start_exit_watch(socket: str) -> int | None:
    """Start the watcher; its pid, or None when there is none."""
    pane = os.environ.get("TMUX_PANE")
    if not pane or not hasattr(os, "pidfd_open"):
        return None  # not Linux >= 5.3: no watch (such tmux builds rarely use utempter)
    try:
        pidfd = os.pidfd_open(os.getpid())  # the pane's process: it ends right after the agent
    except OSError:
        return None
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # double fork: the watcher is nobody's child we must reap
        try:
            os.close(read_end)
            os.setsid()
            grandchild = os.fork()
            if grandchild == 0:
                os.close(write_end)
                os.chdir("/")
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):  # let go of the pane's pty, or its EOF would wait for us
                    os.dup2(devnull, fd)
                _watch_exit(pidfd, socket, pane)
            else:
                os.write(write_end, str(grandchild).encode("ascii"))
        finally:
            os._exit(0)
    os.close(pidfd)
    os.close(write_end)
    os.waitpid(child, 0)
    try:
        return int(os.read(read_end, 32) or b"0") or None
    except ValueError:
        return None
    finally:
        os.close(read_end)


def _write_proc_info(spec_path: str, watcher_pid: int | None) -> None:
    """The pane's process (this launcher, the agent's parent), its session and group, its watcher."""
    try:
        with open(f"/proc/{os.getpid()}/stat", "rb") as handle:
            start = int(handle.read().rpartition(b")")[2].split()[19])
    except (OSError, ValueError, IndexError):
        start = None
    data = {"pid": os.getpid(), "sid": os.getsid(0), "pgid": os.getpgid(0), "watcher_pid": watcher_pid, "start": start}
    path = os.path.join(os.path.dirname(os.path.abspath(spec_path)), PROC_INFO_NAME)
    tmp = f"{path}.{os.getpid()}.tmp"
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="ascii") as handle:
        json.dump(data, handle)  # 0600 like everything in the state directory
    os.replace(tmp, path)


def launch(spec: dict, spec_path: str | None = None) -> int:
    """Wait for the gate, then run the agent; returns its exit code (or dies of its signal)."""
    if not _wait_for_gate(spec["socket"], spec["gate"]):
        return _fail(f"tmux gate {spec['gate']} failed; not starting {spec['argv'][0]}")

    # Bytes all the way: the prompt's exact bytes become the argument, whatever they are.
    argv: list[bytes] = [os.fsencode(arg) for arg in spec["argv"]]
    index = spec["prompt_arg_index"]
    if index is not None:
        try:
            with open(spec["prompt_path"], "rb") as handle:
                argv[index] = handle.read()
        except OSError as error:
            return _fail(f"cannot start {spec['argv'][0]}: cannot read prompt {spec['prompt_path']}: {error.strerror}")

    env = {os.fsencode(key): os.fsencode(value) for key, value in spec["env"].items()}
    if "TERM" in os.environ:  # the terminal really is tmux's pane, whatever the caller's TERM was
        env[b"TERM"] = os.fsencode(os.environ["TERM"])

    program = spec["argv"][0]
    try:
        os.chdir(spec["cwd"])
    except OSError as error:
        return _fail(f"cannot start {program}: cannot enter {spec['cwd']}: {error.strerror or error}")
    # A shell would set PWD on cd; an inherited one names the caller's directory, and some
    # agents (opencode) take their project directory from PWD, not from getcwd().
    env[b"PWD"] = os.fsencode(os.getcwd())

    if spec["stdin_path"] is not None:
        try:
            fd = os.open(spec["stdin_path"], os.O_RDONLY)
        except OSError as error:
            return _fail(f"cannot start {program}: cannot read {spec['stdin_path']}: {error.strerror or error}")
        os.dup2(fd, 0)
        os.close(fd)

    watcher = None
    try:
        watcher = _start_exit_watch(spec["socket"])
    except OSError:
        pass  # cannot fork: start the agent anyway; list_panes() still nudges tmux
    if spec_path is not None:
        try:
            _write_proc_info(spec_path, watcher)
        except OSError:
            pass  # a kill still finds the tree through tmux's pane pid

    try:
        child = os.fork()
    except OSError as error:
        return _fail(f"cannot start {program}: cannot fork: {error.strerror or error}")
    if child == 0:
        _own_foreground_group()
        os._exit(_exec_agent(argv, env, program))
    try:
        os.setpgid(child, child)  # the child does it too: whichever runs first, no race
    except OSError:
        pass
    return _wait_for(child)


def _own_foreground_group() -> None:
    """In the child: a process group of its own that holds the terminal, as a shell runs a
    foreground job. The terminal's signals (Ctrl-C, hangup) go to the agent's group, tmux
    names the pane after the agent (#{pane_current_command}), and the group can be paused."""
    try:
        os.setpgid(0, 0)
        tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return  # no controlling terminal (not under tmux): the group alone will do
    try:
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may not take the terminal otherwise
        os.tcsetpgrp(tty, os.getpgrp())
    except OSError:
        pass
    finally:
        os.close(tty)


def _exec_agent(argv: list[bytes], env: dict[bytes, bytes], program: str) -> int:
    """In the child: exec the agent; returns (an exit code) only when that failed."""
    # Ignored signals survive exec: Python ignores SIGPIPE and SIGXFSZ, tmux leaves
    # SIGTTIN and SIGTTOU ignored. Give the agent the defaults a shell would.
    for signum in signal.valid_signals():
        try:
            if signal.getsignal(signum) == signal.SIG_IGN:
                signal.signal(signum, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    try:
        os.execvpe(argv[0], argv, env)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return _fail(f"cannot start {program}: {reason}")
    return CANNOT_START  # not reached: execvpe returns only by raising


def _wait_for(child: int) -> int:
    """Wait for the agent and end as it ended. A closed pane hangs up its terminal, which
    signals only the session's leader (this launcher): pass the hangup on to the agent's
    group, as the kernel does when a controlling process exits. A SIGTERM sent to the
    pane's process is passed on to the agent. Ctrl-C and Ctrl-\\ reach the agent's group
    directly (it holds the terminal); the launcher ignores them."""

    def forward(signum: int, _frame: object) -> None:
        try:
            if signum == signal.SIGHUP:
                os.killpg(child, signal.SIGHUP)
                os.killpg(child, signal.SIGCONT)  # a paused agent must hear it too
            else:
                os.kill(child, signum)
        except OSError:
            pass

    for signum in (signal.SIGINT, signal.SIGQUIT):
        signal.signal(signum, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, forward)
    signal.signal(signal.SIGTERM, forward)
    while True:
        try:
            _, status = os.waitpid(child, 0)  # no WUNTRACED: a paused agent leaves us asleep
            break
        except ChildProcessError:
            return 0
    if os.WIFSIGNALED(status):
        died_of = os.WTERMSIG(status)
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the agent dumped core already, if at all
        except (ImportError, OSError, ValueError):
            pass
        if died_of not in (signal.SIGKILL, signal.SIGSTOP):  # those two cannot be (and need not be) reset
            try:
                signal.signal(died_of, signal.SIG_DFL)
            except (OSError, ValueError):
                pass
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [died_of])
            os.kill(os.getpid(), died_of)
        except (OSError, ValueError):
            pass
        return 128 + died_of  # not reached for a signal that ends a process
    return os.waitstatus_to_exitcode(status)


def main(args: list[str] | None = None) -> int:
    args = sys.argv[1:] if args is None else args
    if len(args) != 1:
        return _fail("usage: python -m cockpit.runtime.launch SPEC_JSON")
    try:
        spec = read_launch_spec(args[0])
    except (OSError, ValueError) as error:
        return _fail(f"cannot read launch spec {args[0]}: {error}")
    return launch(spec, args[0])


if __name__ == "__main__":
    sys.exit(main())
