"""The supervisor: one per repository, asyncio, started on demand, outliving its clients."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import sys
from typing import Any

from cockpit import __version__
from cockpit.errors import CheckFailed, UsageError
from cockpit.runtime.providers import load_catalog
from cockpit.service.channel import ChannelServer, Peer, encode
from cockpit.service.config import load_config
from cockpit.service.context import Context, log
from cockpit.service.inspect_ops import InspectOps
from cockpit.service.monitor import Monitor
from cockpit.service.operations import WorkerOps
from cockpit.service.recovery import recover
from cockpit.service.workers import Workers
from cockpit.service.workspace import Workspace


class AlreadyRunning(CheckFailed):
    pass


class Supervisor:
    def __init__(self, ws: Workspace, *, idle_exit: float | None = None) -> None:
        self.ws = ws
        self.idle_exit = idle_exit or None
        self.stop_event = asyncio.Event()
        self._lock_fd: int | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self.extensions: list[Any] = []  # objects with bind(), an `ops` dict, optional async on_start()

    # -- lifecycle ----------------------------------------------------------------------

    def acquire_lock(self) -> None:
        self.ws.state.ensure()
        fd = os.open(self.ws.state.supervisor_lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise AlreadyRunning(
                f"a supervisor is already running for this repository (pid {other or '?'})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    async def run(self) -> None:
        self.acquire_lock()
        catalog = load_catalog(self.ws.repo.toplevel)
        config = load_config(self.ws.repo.toplevel)
        self.ctx = ctx = Context(self.ws, catalog, config)
        self.workers = Workers(ctx)
        self.monitor = Monitor(ctx, self.workers)
        self.ops = WorkerOps(ctx, self.workers, self.monitor)
        self.monitor.on_exit = self._after_exit
        ctx.on_slot_freed = self.ops.schedule
        self.table = {
            "ping": self._ping, "shutdown": self._shutdown, "dispatch": self.ops.dispatch,
            "status": self.ops.status, "show": self.ops.show, "wait": self.ops.wait, "send": self.ops.send,
            "kill": self.ops.kill, "teardown": self.ops.teardown, "restore": self.ops.restore,
            "preview_teardown": self.ops.preview_teardown,
        }
        self.table.update(InspectOps(ctx, self.ops).table)
        for extension in self.extensions:
            extension.bind(self)
            self.table.update(extension.ops)
        counts = await recover(ctx, self.workers, self.monitor)
        server = ChannelServer(self.ws.state.socket_path, self._handle, self._subscribe)
        await server.start()
        ctx.record("supervisor_started", pid=os.getpid(), version=__version__, **counts)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, self.stop_event.set)
        tasks = [loop.create_task(coro) for coro in (
            self.monitor.watch_files(), self.monitor.wait_for_exits(), self.monitor.safety_sweep(),
            self.monitor.quiet.run(self.monitor.stop_event))]
        for extension in self.extensions:
            if hasattr(extension, "on_start"):
                await extension.on_start()
        self.ops.schedule()
        self._arm_idle()
        log.info("supervisor %s ready on %s (%s)", os.getpid(), self.ws.state.socket_path, counts)
        try:
            await self.stop_event.wait()
        finally:
            self.monitor.stop_event.set()
            ctx.live_changed.set()
            await server.close()
            ctx.record("supervisor_stopped", pid=os.getpid(), live_workers=len(ctx.live))
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _arm_idle(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        if self.idle_exit:
            self._idle_timer = asyncio.get_running_loop().call_later(self.idle_exit, self._idle_check)

    def _idle_check(self) -> None:
        busy = self.ops.live_count() or self.ctx.bus.subscribers or self.ws.store.dispatches(states=("queued",))
        if busy:
            self._arm_idle()
        else:
            log.info("idle for %s s with nothing to watch: leaving", self.idle_exit)
            self.stop_event.set()

    async def _after_exit(self, dispatch_id: str, code: int | None) -> None:
        self.ops.schedule()
        for extension in self.extensions:
            hook = getattr(extension, "after_exit", None)
            if hook is not None:
                await hook(dispatch_id, code)

    # -- channel ------------------------------------------------------------------------

    async def _handle(self, op: str, args: dict[str, Any], peer: Peer) -> Any:
        self._arm_idle()
        handler = self.table.get(op)
        if handler is None:
            raise UsageError(f"the supervisor does not know the request {op!r}",
                             hint="are the cockpit client and supervisor the same version?")
        return await handler(args, peer)

    async def _subscribe(self, writer: asyncio.StreamWriter, args: dict[str, Any]) -> None:
        queue = self.ctx.bus.subscribe()
        try:
            writer.write(encode({"event": {"type": "hello", "pid": os.getpid(), "version": __version__}}))
            await writer.drain()
            while (event := await queue.get()) is not None:
                writer.write(encode({"event": event}))
                await writer.drain()
            writer.write(encode({"event": {"type": "dropped"}}))
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.ctx.bus.unsubscribe(queue)
            self._arm_idle()

    async def _ping(self, args: dict[str, Any], peer: Peer) -> dict[str, Any]:
        return {"pid": os.getpid(), "version": __version__, "live": len(self.ctx.live),
                "socket": str(self.ws.state.socket_path), "tmux_socket": self.ctx.tmux.socket_name}

    async def _shutdown(self, args: dict[str, Any], peer: Peer) -> dict[str, Any]:
        asyncio.get_running_loop().call_later(0.05, self.stop_event.set)
        return {"stopping": True, "live_workers_keep_running": len(self.ctx.live)}


def run_supervisor(ws: Workspace, *, idle_exit: float | None, extensions: list[Any] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # it logs every batch of changes at INFO
    supervisor = Supervisor(ws, idle_exit=idle_exit)
    if extensions:
        supervisor.extensions.extend(extensions)

    async def main() -> None:
        await supervisor.run()

    asyncio.run(main())
    return 0
