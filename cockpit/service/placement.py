"""`cockpit dispatch --host NAME` / `--label L`: check the request, probe, and place.

Everything here only reads (hosts.yaml, and the hosts through `cockpit hosts`' probe), so
a request that cannot be placed fails with one line and exit 2 before anything is written,
here or on a host. The chosen executor and every rejected one, with its reason, go into
the `placement` receipt (docs/receipts.md).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cockpit.domain.hosts import Host, HostsFile
from cockpit.domain.placement import Candidate, Placement, place
from cockpit.domain.provider import Catalog
from cockpit.errors import UsageError
from cockpit.runtime.host_probe import probe_host
from cockpit.runtime.hosts_config import load_hosts


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


def plan(repo_root: Path, catalog: Catalog, provider: str, host: str | None, label: str | None) -> Placement:
    """Probe the hosts the request may use and place it there; UsageError when none fits."""
    hosts = check_request(load_hosts(repo_root), host, label)
    providers = [catalog.get(provider)]
    with ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
        probes = list(pool.map(lambda h: probe_host(h, providers, versions=False), hosts))
    candidates = [Candidate.for_host(p, provider) for p in probes]
    if label is not None:  # this machine has no labels: named, so the receipt says why not
        candidates.insert(0, Candidate.local(has_provider=True, running=0, capacity=1))
    placement = place(candidates, provider=provider, host=host, label=label)
    if placement.chosen is None:
        asked = f"--host {host}" if host is not None else f"--label {label}"
        raise UsageError(placement.refusal(asked), hint="`cockpit hosts` shows each host's state")
    return placement
