"""What the supervisor's parts share: the workspace, the executors, the catalog, live workers, events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cockpit.domain.answered_prompt import AnsweredPrompt
from cockpit.domain.dispatch import LIVE_STATES, Dispatch
from cockpit.domain.provider import Catalog, Provider
from cockpit.domain.receipt import Receipt
from cockpit.errors import CockpitError
from cockpit.ledger.reader import committed_size, iter_receipts
from cockpit.protocol.events import DispatchChanged, ReceiptAppended
from cockpit.protocol.views import DispatchView, GateResultRow
from cockpit.runtime.executor import Executor
from cockpit.runtime.local_executor import LocalExecutor
from cockpit.runtime.usage import Usage, UsageParser, parser_for
from cockpit.service.bus import Bus
from cockpit.service.config import RepoConfig
from cockpit.service.signal_records import HookPayload
from cockpit.service.views import dispatch_view
from cockpit.service.workspace import Workspace

log = logging.getLogger("cockpit.supervisor")
ACTOR = "supervisor"


@dataclass
class LiveWorker:
    """In-memory facts about a worker whose process may still run."""

    id: str
    provider: Provider
    mode: str
    log_path: Path
    parser: UsageParser
    offset: int = 0
    partial: bytes = b""
    usage: Usage | None = None
    prompt_pending: bool = False
    prompt_file: Path | None = None  # what to type in once ready (None: the dispatch's prompt.txt)
    usage_base: tuple[int, int, int] = (0, 0, 0)  # totals of earlier runs (a sent-back dispatch)
    gates_on_idle: bool = False  # sent back while running: run the gates when it is idle again
    check_running: bool = False
    check_again: bool = False
    # Structured signals (cockpit/service/signals.py): how far the signals file was read,
    # whether the CLI's hooks speak at all, and the transcript that carries interactive usage.
    signal_offset: int = 0
    signal_partial: bytes = b""
    signals_seen: bool = False
    transcript: Any = None
    typed_at: float | None = None  # the prompt was typed, its delivery not yet confirmed
    ready_since: float | None = None  # the ready screen was first seen (it must stay, to count)
    turn_started: float | None = None  # a prompt was confirmed; cleared when its turn ends (idle)
    waiting_by_hook: bool = False  # waiting was set by a hook ...
    waiting_on_screen: bool = False  # ... and the screen has shown the prompt since
    trust_answered: float | None = None  # when cockpit answered the CLI's trust prompt for its own worktree
    answered: AnsweredPrompt = field(default_factory=AnsweredPrompt)  # answered, maybe still drawn
    timers: list[asyncio.TimerHandle] = field(default_factory=list)

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()


class Context:
    def __init__(self, ws: Workspace, catalog: Catalog, config: RepoConfig) -> None:
        self.ws = ws
        self.catalog = catalog
        self._catalog_stamp: list[tuple[str, int, int]] | None = None
        self.config = config
        # Where workers run, by name (cockpit/runtime/executor.py); `executor_for` picks one.
        self.executors: dict[str, Executor] = {"local": LocalExecutor(ws.state, lambda: ws.git)}
        self.bus = Bus()
        self.live: dict[str, LiveWorker] = {}
        self.live_changed = asyncio.Event()
        self.terminal_clients = 0  # attached TUIs that write notifications to their terminal
        self.locks: dict[str, asyncio.Lock] = {}
        self.on_slot_freed: Callable[[], None] | None = None  # Flow.slot_freed (set by the supervisor)
        # Starts the monitor's watchers for an executor added while the supervisor runs.
        self.on_executor_added: Callable[[Executor], None] | None = None
        # A CLI announced a permission question on its own screen (the catalog's `signals.asks`):
        # (dispatch id, the signal's payload). The permission service decides and answers it.
        self.permission_askers: list[Callable[[str, HookPayload], None]] = []
        self._published_offset = committed_size(ws.state.ledger_dir)

    def fresh_catalog(self) -> Catalog:
        """The catalog as its files are now (they may have been edited since the supervisor
        started); UsageError naming file and line when one is broken. The last good catalog
        stays in `self.catalog` for the workers already running."""
        from cockpit.runtime.providers import catalog_files, load_catalog

        stamp = []
        for path in catalog_files(self.ws.repo.toplevel):
            try:
                info = path.stat()
                stamp.append((str(path), info.st_mtime_ns, info.st_size))
            except OSError:
                stamp.append((str(path), 0, 0))
        if stamp != self._catalog_stamp:
            self.catalog = load_catalog(self.ws.repo.toplevel)
            self._catalog_stamp = stamp
        return self.catalog

    @property
    def local(self) -> Executor:
        """The executor for this machine (workers run nowhere else yet)."""
        return self.executors["local"]

    def executor_for(self, dispatch: Dispatch | str) -> Executor:
        """The executor that runs (or will run) this dispatch: the ONE place that decides
        where a worker runs. Its `executor` field says where placement put it: "local", or
        "ssh:<host>" for an SSH host (docs/hosts.md)."""
        if isinstance(dispatch, str):
            found = self.ws.store.dispatch(dispatch)
            name = found.executor if found is not None else "local"
        else:
            name = dispatch.executor
        return self.executors.get(name) or self.add_remote_executor(name)

    def add_remote_executor(self, name: str) -> Executor:
        """The executor for host `ssh:<host>`, made on first use from hosts.yaml."""
        from cockpit.runtime.executor import SessionError
        from cockpit.runtime.hosts_config import load_hosts
        from cockpit.runtime.remote_executor import RemoteExecutor

        host = load_hosts(self.ws.repo.toplevel).get(name.removeprefix("ssh:")) if name.startswith("ssh:") else None
        if host is None:
            raise SessionError(f"no executor {name!r}: the host is not in hosts.yaml any more", hint="see docs/hosts.md")
        executor = RemoteExecutor(host, self.ws.state, self.ws.git)
        self.executors[name] = executor
        if self.on_executor_added is not None:
            self.on_executor_added(executor)
        return executor

    def add_executors_of_live_dispatches(self) -> None:
        """Before recovery: an executor for every host a queued or live dispatch runs on."""
        for d in self.ws.store.dispatches(states=("queued", *(str(s) for s in LIVE_STATES))):
            if d.executor not in self.executors:
                try:
                    self.add_remote_executor(d.executor)
                except CockpitError as exc:
                    log.warning("dispatch %s: %s", d.id, exc)

    def lock(self, dispatch_id: str) -> asyncio.Lock:
        return self.locks.setdefault(dispatch_id, asyncio.Lock())

    def record(self, kind: str, dispatch: str | None = None, /, *, actor: str = ACTOR, **data: Any) -> Receipt:
        """Append a receipt, fold it into the store and tell subscribers (the ledger first, always)."""
        receipt = self.ws.ledger.append(kind, actor=actor, dispatch=dispatch, data=data)
        self.publish_new_receipts()  # folds it into the store, with any other process's receipts
        return receipt

    def publish_new_receipts(self) -> None:
        """Publish every committed receipt not yet published (ours and other processes')."""
        self.ws.store.catch_up()
        touched: set[str] = set()
        for offset, receipt in iter_receipts(self.ws.state.ledger_dir, self._published_offset):
            self._published_offset = offset
            self.bus.publish(ReceiptAppended(receipt=receipt))
            if receipt.dispatch:
                touched.add(receipt.dispatch)
        for dispatch_id in sorted(touched):
            d = self.ws.store.dispatch(dispatch_id)
            if d is not None:
                self.bus.publish(DispatchChanged(dispatch=self.view(d)))
        if touched:
            asyncio.get_running_loop().create_task(self.bus.notify())

    def view(self, d: Dispatch) -> DispatchView:
        # as_of_seq, the ledger position the view is true at: a client holding a newer view of
        # the same dispatch (from the event stream) must not let a late reply take it back in time.
        return dispatch_view(d, log=str(self.ws.state.log(d.id)), gates=self.gate_rows(d.id), as_of_seq=self.ws.store.last_seq)

    def gate_rows(self, dispatch_id: str) -> list[GateResultRow]:
        """The dispatch's latest stored gate results, one per gate."""
        return [GateResultRow.model_validate(row) for row in self.ws.store.gate_results(dispatch_id)]

    def dispatch(self, dispatch_id: str) -> Dispatch:
        d = self.ws.store.dispatch(dispatch_id)
        if d is None:
            raise KeyError(dispatch_id)
        return d

    def adopt(self, d: Dispatch, *, prompt_pending: bool) -> LiveWorker:
        provider = self.catalog.providers.get(d.provider)
        if provider is None:  # removed from the catalog since: watch it with no patterns
            provider = Provider(name=d.provider, binary=d.provider, headless={"args": [], "prompt_via": "stdin"})
        worker = LiveWorker(
            id=d.id,
            provider=provider,
            mode=d.mode,
            log_path=self.ws.state.log(d.id),
            parser=parser_for(provider.usage_parser),
            prompt_pending=prompt_pending,
            usage=Usage(d.tokens_in, d.tokens_out, d.cost_micro_usd) if d.tokens_in or d.tokens_out else None,
        )
        try:  # signals from before (an earlier run, or before a supervisor restart) are history
            worker.signal_offset = self.ws.state.signal_file(d.id).stat().st_size
        except OSError:
            worker.signal_offset = 0
        self.live[d.id] = worker
        self.live_changed.set()
        return worker

    def forget(self, dispatch_id: str) -> None:
        worker = self.live.pop(dispatch_id, None)
        if worker is not None:
            worker.cancel_timers()
            if self.on_slot_freed is not None:  # Flow.slot_freed: schedules after the caller's receipt
                self.on_slot_freed()
