"""The supervisor: one per repository, asyncio, started on demand, outliving its clients."""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from cockpit import __version__
from cockpit.errors import CheckFailed, UsageError
from cockpit.protocol import requests as req
from cockpit.protocol.envelope import event_line
from cockpit.protocol.errors import ErrorCode
from cockpit.protocol.events import Dropped, Hello
from cockpit.protocol.replies import PingReply, ShutdownReply, check_reply
from cockpit.runtime.executor import Executor
from cockpit.runtime.providers import load_catalog
from cockpit.runtime.remote_executor import RemoteExecutor
from cockpit.service.channel import ChannelServer, OpHandler, Peer, RawArgs
from cockpit.service.config import load_config
from cockpit.service.context import Context, log
from cockpit.service.extensions import Extension
from cockpit.service.flow import Flow
from cockpit.service.inspect_ops import InspectOps
from cockpit.service.monitor import Monitor
from cockpit.service.operations import WorkerOps
from cockpit.service.recovery import recover
from cockpit.service.scheduler import Scheduler
from cockpit.service.workers import Workers
from cockpit.service.workspace import Workspace

PROGRESS_EVERY_S = 0.2


class AlreadyRunning(CheckFailed):
    pass


def write_progress(path: Path, done: int, total: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps({"pid": os.getpid(), "done": done, "total": total}).encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


class Supervisor:
    def __init__(self, ws: Workspace, *, idle_exit: float | None = None) -> None:
        self.ws = ws
        self.idle_exit = idle_exit or None
        self.stop_event = asyncio.Event()
        self._lock_fd: int | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._untyped_ops: set[str] = set()
        self.extensions: list[Extension] = []  # the gates, notifications, permissions (service/extensions.py)

    # -- lifecycle ----------------------------------------------------------------------

    def acquire_lock(self) -> None:
        self.ws.state.ensure()
        fd = os.open(self.ws.state.supervisor_lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise AlreadyRunning(f"a supervisor is already running for this repository (pid {other or '?'})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock_fd = fd

    async def run(self) -> None:
        self.acquire_lock()
        await asyncio.to_thread(self.catch_up)
        catalog = load_catalog(self.ws.repo.toplevel)
        config = load_config(self.ws.repo.toplevel)
        # The parts, wired here and nowhere else; what follows an exit is in service/flow.py.
        self.ctx = ctx = Context(self.ws, catalog, config)
        self.workers = Workers(ctx)
        self.scheduler = Scheduler(ctx, self.workers)
        self.flow = Flow(self.scheduler.schedule, self.extensions)
        ctx.on_slot_freed = self.flow.slot_freed
        self.monitor = Monitor(ctx, self.workers, self.flow)
        self.workers.watch = self.monitor
        self.ops = WorkerOps(ctx, self.workers, self.monitor, self.scheduler)
        self.table: dict[str, OpHandler] = {
            "ping": self._ping,
            "shutdown": self._shutdown,
            "dispatch": self.ops.dispatch,
            "status": self.ops.status,
            "show": self.ops.show,
            "wait": self.ops.wait,
            "send": self.ops.send,
            "kill": self.ops.kill,
            "teardown": self.ops.teardown,
            "restore": self.ops.restore,
            "preview_teardown": self.ops.preview_teardown,
        }
        self.table.update(InspectOps(ctx, self.ops).table)
        for extension in self.extensions:
            extension.bind(self)
            self.table.update(extension.ops)
        ctx.add_executors_of_live_dispatches()  # SSH hosts with workers: recovered like local ones
        counts = await recover(ctx, self.workers, self.monitor)
        server = ChannelServer(self.ws.state.socket_path, self._handle, self._subscribe)
        await server.start()
        ctx.record("supervisor_started", pid=os.getpid(), version=__version__, **counts)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, self.stop_event.set)
        tasks = [loop.create_task(coro) for coro in self.monitor.tasks()]
        monitor = self.monitor

        def watch_new_executor(executor: Executor) -> None:  # a first dispatch to a host
            tasks.extend(loop.create_task(coro) for coro in monitor.executor_tasks(executor))

        ctx.on_executor_added = watch_new_executor
        if config.checkpoints is not None:  # signed anchors outside the state directory, when configured
            from cockpit.service.anchors import sign_periodically

            tasks.append(loop.create_task(sign_periodically(self.ws, config)))
        await self.flow.started()
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
            for executor in ctx.executors.values():
                if isinstance(executor, RemoteExecutor):
                    executor.detach()  # its workers go on; the next supervisor fetches what they print

    def catch_up(self) -> None:
        """Fold what the store has not folded yet, before anything else, saying how far it got.

        The store remembers the offset it folded to, so a caught-up store costs two small
        reads here whatever the ledger's size. Clients that find the supervisor not answering
        yet read the progress file and wait (see client.start_supervisor).
        """
        store, path = self.ws.store, self.ws.state.supervisor_progress
        pending = store.pending_bytes()
        if pending <= 0:
            return
        log.info("folding %d bytes of the ledger into the store", pending)
        last = [0.0]

        def report(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                write_progress(path, done, total)

        write_progress(path, 0, pending)
        try:
            folded = store.catch_up(progress=report)
        finally:
            path.unlink(missing_ok=True)
        log.info("folded %d receipts", folded)

    def _arm_idle(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        if self.idle_exit:
            self._idle_timer = asyncio.get_running_loop().call_later(self.idle_exit, self._idle_check)

    def _idle_check(self) -> None:
        busy = self.scheduler.live_count() or self.ctx.bus.subscribers or self.ws.store.dispatches(states=("queued",))
        if busy:
            self._arm_idle()
        else:
            log.info("idle for %s s with nothing to watch: leaving", self.idle_exit)
            self.stop_event.set()

    # -- channel ------------------------------------------------------------------------

    async def _handle(self, op: str, args: RawArgs, peer: Peer) -> Any:
        """Check the arguments against the op's model (cockpit/protocol/requests.py), run its
        handler, and check its answer against the op's reply model."""
        self._arm_idle()
        handler = self.table.get(op)
        if handler is None:
            raise UsageError(
                f"the supervisor does not know the request {op!r}",
                hint="are the cockpit client and supervisor the same version?",
                code=ErrorCode.UNKNOWN_OP,
            )
        if op not in req.REQUESTS:  # an op not yet described in the protocol: its arguments as sent
            if op not in self._untyped_ops:
                self._untyped_ops.add(op)
                log.warning("request %r has no arguments model in cockpit/protocol/requests.py", op)
            return await handler(args, peer)
        return check_reply(op, await handler(req.parse_args(op, args), peer))

    async def _subscribe(self, writer: asyncio.StreamWriter, raw: RawArgs) -> None:
        args = req.parse_args("subscribe", raw)
        assert isinstance(args, req.Subscribe)
        queue = self.ctx.bus.subscribe()
        terminal = args.terminal_notifications  # a TUI: notifications go to its terminal
        self.ctx.terminal_clients += terminal
        try:
            writer.write(event_line(Hello(pid=os.getpid(), version=__version__)))
            await writer.drain()
            while (event := await queue.get()) is not None:
                writer.write(event_line(event))
                await writer.drain()
            writer.write(event_line(Dropped()))
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.ctx.terminal_clients -= terminal
            self.ctx.bus.unsubscribe(queue)
            self._arm_idle()

    async def _ping(self, args: req.Ping, peer: Peer) -> PingReply:
        return PingReply(
            pid=os.getpid(),
            version=__version__,
            live=len(self.ctx.live),
            socket=str(self.ws.state.socket_path),
            tmux_socket=self.ctx.local.location.get("socket"),
        )

    async def _shutdown(self, args: req.Shutdown, peer: Peer) -> ShutdownReply:
        asyncio.get_running_loop().call_later(0.05, self.stop_event.set)
        return ShutdownReply(stopping=True, live_workers_keep_running=len(self.ctx.live))


def run_supervisor(ws: Workspace, *, idle_exit: float | None, extensions: list[Extension] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # it logs every batch of changes at INFO
    supervisor = Supervisor(ws, idle_exit=idle_exit)
    if extensions:
        supervisor.extensions.extend(extensions)

    async def main() -> None:
        await supervisor.run()

    asyncio.run(main())
    return 0
