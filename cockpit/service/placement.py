"""`cockpit dispatch --host NAME` / `--label L`, or neither: check the request, probe, and place.

Automatic placement (neither flag) happens only when hosts.yaml names hosts; without one a
dispatch runs here as it always did, and nothing is probed. With `prefer: local` (the
default) the hosts are probed only when this machine is full or lacks the provider.

Everything here only reads (hosts.yaml, and the hosts through `cockpit hosts`' probe), so
a request that cannot be placed fails with one line and exit 2 before anything is written,
here or on a host. The chosen executor and every rejected one, with its reason, go into
the `placement` receipt (docs/receipts.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cockpit.domain.dispatch import Dispatch, WorkerState
from cockpit.domain.hosts import LOCAL_NAME, Host, HostProbe, HostsFile
from cockpit.domain.placement import Candidate, Placement, place, rejection
from cockpit.domain.provider import Catalog, Provider
from cockpit.errors import UsageError
from cockpit.runtime.host_probe import probe_host
from cockpit.runtime.hosts_config import load_hosts
from cockpit.runtime.provider_launch import resolve_binary
from cockpit.runtime.remote_executor import RemoteExecutor
from cockpit.service.context import Context


def check_request(hosts: HostsFile, host: str | None, label: str | None) -> list[Host]:
    """The hosts a --host/--label request may use; UsageError for a request that names none."""
    if host is not None and label is not None:
        raise UsageError("--host and --label cannot be used together", hint="name one host, or a label to choose among")
    if host is not None:
        if host not in hosts.hosts:
            known = ", ".join(sorted(hosts.hosts)) or "none configured"
            raise UsageError(f"unknown host {host!r} (hosts: {known})", hint="see docs/hosts.md")
        return [hosts.hosts[host]]
    if label is not None:
        chosen = hosts.with_label(label)
        if not chosen:
            raise UsageError(f"no host has the label {label!r}", hint="`cockpit hosts` lists the hosts; labels are in hosts.yaml")
        return chosen
    return []


def validate(repo_root: Path, host: str | None, label: str | None) -> None:
    """The checks that need no network (the CLI runs them before starting a supervisor)."""
    if host is not None or label is not None:
        check_request(load_hosts(repo_root), host, label)


def _probe_all(hosts: list[Host], provider: Provider) -> list[HostProbe]:
    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
        return list(pool.map(lambda h: probe_host(h, [provider], versions=False), hosts))


def plan(
    repo_root: Path,
    catalog: Catalog,
    provider: str,
    host: str | None,
    label: str | None,
    queued: Mapping[str, int] | None = None,
) -> Placement:
    """Probe the hosts the request may use and place it there; UsageError when none fits.
    `queued`: this repository's dispatches per executor that hold or await a slot there and
    that a host's probe cannot see (queued, or still starting)."""
    hosts = check_request(load_hosts(repo_root), host, label)
    probes = _probe_all(hosts, catalog.get(provider))
    candidates = [_host_candidate(p, provider, queued) for p in probes]
    if label is not None:  # this machine has no labels: named, so the receipt says why not
        candidates.insert(0, Candidate.local(has_provider=True, running=0, capacity=1))
    placement = place(candidates, provider=provider, host=host, label=label)
    if placement.chosen is None:
        asked = f"--host {host}" if host is not None else f"--label {label}"
        raise UsageError(placement.refusal(asked), hint="`cockpit hosts` shows each host's state")
    return placement


def _host_candidate(probe: HostProbe, provider: str, queued: Mapping[str, int] | None) -> Candidate:
    waiting = (queued or {}).get(f"ssh:{probe.name}", 0)
    return Candidate.for_host(probe, provider, running=(probe.running_workers or 0) + waiting)


def local_has_provider(provider: Provider) -> bool:
    return resolve_binary(provider) is not None


def plan_auto(
    repo_root: Path,
    catalog: Catalog,
    provider: str,
    *,
    local_busy: int,
    max_workers: int,
    queued: Mapping[str, int] | None = None,
) -> Placement | None:
    """Where a dispatch without --host/--label runs, or None when no hosts are configured
    (then it runs here, as without hosts, and nothing is probed). `local_busy`: this
    machine's workers, live or queued. UsageError only when nothing anywhere has the provider."""
    hosts = load_hosts(repo_root)
    if not hosts.hosts:
        return None
    prefs = hosts.placement
    chosen = catalog.get(provider)
    local = Candidate.local(
        has_provider=local_has_provider(chosen), running=local_busy, capacity=prefs.local_capacity or max_workers
    )
    if prefs.prefer == "local" and rejection(local, provider, None) is None:
        return place([local], provider=provider)  # room here: the hosts need not be asked
    probes = _probe_all(list(hosts.hosts.values()), chosen)
    candidates = [local, *(_host_candidate(p, provider, queued) for p in probes)]
    placement = place(candidates, provider=provider, prefer=prefs.prefer)
    if placement.chosen is None:
        raise UsageError(placement.refusal("automatic placement"), hint="`cockpit hosts` shows each host's state")
    return placement


@dataclass(frozen=True)
class Busy:
    local: int  # this machine's dispatches, live or queued
    queued: dict[str, int]  # per executor, the queued ones (a host's probe sees only live workers)


def busy_by_executor(dispatches: Iterable[Dispatch]) -> Busy:
    """What holds or awaits a slot where: `dispatches` are the queued and live ones."""
    local = 0
    queued: dict[str, int] = {}
    for d in dispatches:
        if d.executor == LOCAL_NAME:
            local += 1
        if d.state == WorkerState.QUEUED:
            queued[d.executor] = queued.get(d.executor, 0) + 1
    return Busy(local, queued)


def hosts_configured(repo_root: Path) -> bool:
    return bool(load_hosts(repo_root).hosts)


def asked(repo_root: Path, host: str | None, label: str | None) -> dict[str, str]:
    """The `asked` field of the placement receipt."""
    if host is not None:
        return {"host": host}
    if label is not None:
        return {"label": label}
    return {"prefer": load_hosts(repo_root).placement.prefer}


def local_capacity(repo_root: Path) -> int | None:
    """This machine's `placement.local_capacity` from hosts.yaml (None: only the global cap)."""
    hosts = load_hosts(repo_root)
    return hosts.placement.local_capacity if hosts.hosts else None


def restore_target(ctx: Context, host: str) -> RemoteExecutor:
    """The executor of `cockpit restore --host NAME`; UsageError for a host not in hosts.yaml."""
    check_request(load_hosts(ctx.ws.repo.toplevel), host, None)
    name = f"ssh:{host}"
    executor = ctx.executors.get(name) or ctx.add_remote_executor(name)  # on the loop: it may start watchers
    if not isinstance(executor, RemoteExecutor):
        raise UsageError(f"{host!r} is not an SSH host", hint="see docs/hosts.md")
    return executor
