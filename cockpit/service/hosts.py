"""`cockpit hosts` and the `hosts` request: the configured SSH hosts, probed in parallel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from cockpit.domain.hosts import Host, HostProbe, HostsFile
from cockpit.domain.receipt import format_ts
from cockpit.errors import UsageError
from cockpit.protocol.replies import HostCli, HostInfo
from cockpit.runtime.host_probe import probe_host
from cockpit.runtime.hosts_config import load_hosts
from cockpit.runtime.providers import load_catalog

MAX_PARALLEL_PROBES = 8
PROBE_TTL_S = 10.0  # how long the supervisor answers `hosts` from its last probe


def configured_hosts(repo_root: Path | None) -> HostsFile:
    return load_hosts(repo_root)


def pick_hosts(hosts: HostsFile, names: list[str]) -> list[Host]:
    """The named hosts (all when none are named); an unknown name is bad input."""
    if not names:
        return list(hosts.hosts.values())
    unknown = [n for n in names if n not in hosts.hosts]
    if unknown:
        known = ", ".join(sorted(hosts.hosts)) or "none configured"
        raise UsageError(f"unknown host {unknown[0]!r} (hosts: {known})", hint="see docs/hosts.md")
    return [hosts.hosts[n] for n in dict.fromkeys(names)]


def probe_hosts(repo_root: Path | None, names: list[str]) -> list[HostProbe]:
    """Every chosen host's probe, in the order they were configured (or named)."""
    hosts = pick_hosts(configured_hosts(repo_root), names)
    providers = list(load_catalog(repo_root).providers.values())
    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_PROBES, len(hosts))) as pool:
        return list(pool.map(lambda host: probe_host(host, providers), hosts))


def host_info(probe: HostProbe, probed_ts: str) -> HostInfo:
    """A probe as the `hosts` request answers it."""
    fields = probe.model_dump()
    fields["providers"] = [HostCli(**cli) for cli in fields["providers"]]
    return HostInfo(**fields, usable=probe.usable, probed_ts=probed_ts)


class HostProbeCache:
    """The supervisor's answer to `hosts`: every configured host probed, kept `ttl_s` seconds
    so the TUI's hosts view (or several TUIs) asking again costs nothing. One probe runs at a
    time: a request made while one runs (`refresh` or not) gets that probe's answer."""

    def __init__(self, repo_root: Path, *, ttl_s: float = PROBE_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.repo_root = repo_root
        self.ttl_s = ttl_s
        self.clock = clock
        self._running: asyncio.Future[list[HostInfo]] | None = None
        self._at: float | None = None  # when the kept answer's probe began
        self._infos: list[HostInfo] = []
        self.probes = 0  # how many times the hosts were really probed

    async def get(self, *, refresh: bool = False) -> list[HostInfo]:
        if self._running is None:
            if not refresh and self._at is not None and self.clock() - self._at < self.ttl_s:
                return self._infos
            self._running = asyncio.ensure_future(self._probe())
            self._running.add_done_callback(_retrieve)  # a failure nobody waited for is not "never retrieved"
        # Shielded: a client that goes away must not cancel the probe the others wait for.
        return await asyncio.shield(self._running)

    async def _probe(self) -> list[HostInfo]:
        self.probes += 1
        at = self.clock()
        try:
            probes = await asyncio.to_thread(probe_hosts, self.repo_root, [])
            probed_ts = format_ts(datetime.now(UTC))
            self._infos = [host_info(p, probed_ts) for p in probes]
            self._at = at
            return self._infos
        finally:
            self._running = None


def _retrieve(future: asyncio.Future[list[HostInfo]]) -> None:
    if not future.cancelled():
        future.exception()
