"""`cockpit hosts`: the configured SSH hosts, probed in parallel."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cockpit.domain.hosts import Host, HostProbe, HostsFile
from cockpit.errors import UsageError
from cockpit.runtime.host_probe import probe_host
from cockpit.runtime.hosts_config import load_hosts
from cockpit.runtime.providers import load_catalog

MAX_PARALLEL_PROBES = 8


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
