"""Probe an SSH host: can it run workers, and with which CLIs?

One connection (the shared master) and two remote commands: `true`, timed, for the
round-trip latency, then one script that reports everything else, one fact a line:

    tmux <version line>        git <version line>
    root <writable 0|1> <free KiB on the nearest existing directory of root>
    provider <name> <path or -> <version line or empty>
    workers <live worker panes on the cockpit tmux servers under root>

The script only reads: a probe writes nothing on the host.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from cockpit.domain.hosts import Host, HostProbe, ProviderOnHost, host_problems
from cockpit.domain.provider import Provider, strip_ansi
from cockpit.runtime.remote_layout import tmux_socket_prefix
from cockpit.runtime.ssh import SshError, SshLink, one_off_link, quote_all

VERSION_TIMEOUT_S = 10
_VERSION_MAX_CHARS = 120


def probe_script(host: Host, providers: Sequence[Provider], *, versions: bool = True) -> str:
    lines = [
        'v() { "$@" 2>&1 </dev/null | head -n 1; }',
        'if command -v tmux >/dev/null 2>&1; then echo "tmux $(v tmux -V)"; fi',
        'if command -v git >/dev/null 2>&1; then echo "git $(v git --version)"; fi',
        f"r={quote_all([host.root])}; d=$r",
        'while [ ! -d "$d" ]; do d=$(dirname "$d"); done',
        'w=0; [ -w "$d" ] && w=1',
        'echo "root $w $(df -Pk "$d" 2>/dev/null | awk \'NR==2 {print $4}\')"',
    ]
    # `timeout` (coreutils) bounds a CLI that hangs on --version; without it, run it plainly.
    lines.append(f"if command -v timeout >/dev/null 2>&1; then T='timeout {VERSION_TIMEOUT_S}'; else T=; fi")
    for provider in providers:
        binary = quote_all([provider.binary])
        version = f"$(v $T {binary} {quote_all(provider.version_args)})" if provider.version_args and versions else ""
        lines.append(
            f'if p=$(command -v {binary} 2>/dev/null); then echo "provider {provider.name} $p {version}"; '
            f'else echo "provider {provider.name} -"; fi'
        )
    # Live panes on every cockpit tmux server under this root (one server per repository).
    servers = '"${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)"/' + tmux_socket_prefix(host.root) + "-*"
    lines.append(
        f'n=0; if command -v tmux >/dev/null 2>&1; then for s in {servers}; do [ -S "$s" ] || continue; '
        "n=$((n + $(tmux -u -S \"$s\" list-panes -a -F '#{pane_dead}' 2>/dev/null | grep -c '^0'))); done; fi; "
        'echo "workers $n"'
    )
    return "\n".join(lines)


def probe_host(host: Host, providers: Sequence[Provider], *, link: SshLink | None = None, versions: bool = True) -> HostProbe:
    """Connect (or reuse the connection) and report what the host has. Never raises for
    a host that cannot be reached: the probe says so, with ssh's own words. Without
    `versions` the CLIs are only looked up on PATH, not run (placement needs no more).
    Without `link`, a master the probe had to start is ended when it is done (no socket
    is left under the state directory)."""
    if link is None:
        with one_off_link(host.ssh, env=host.env) as own:
            return _probe(host, providers, own, versions)
    return _probe(host, providers, link, versions)


def _probe(host: Host, providers: Sequence[Provider], link: SshLink, versions: bool) -> HostProbe:
    base = {"name": host.name, "ssh": host.ssh, "capacity": host.capacity, "labels": list(host.labels)}
    try:
        link.connect()
        latency = link.run("true", timeout=30).seconds * 1000
        result = link.run(probe_script(host, providers, versions=versions), timeout=30 + VERSION_TIMEOUT_S * len(providers))
    except SshError as exc:
        return HostProbe(**base, reachable=False, error=str(exc), problems=[f"unreachable: {exc}"])
    if result.code != 0:
        why = result.stderr.strip().splitlines()[-1:] or [f"exit {result.code}"]
        return HostProbe(**base, reachable=True, latency_ms=latency, problems=[f"the probe failed: {why[0]}"])
    facts, writable = parse_probe_output(result.stdout, providers)
    probe = HostProbe(**base, reachable=True, latency_ms=round(latency, 1), **facts)
    return probe.model_copy(update={"problems": host_problems(probe, root_writable=writable)})


class ProbeFacts(TypedDict, total=False):
    """The probe script's lines as HostProbe fields (those it reported)."""

    tmux: str | None
    git: str | None
    free_disk_bytes: int
    running_workers: int
    providers: list[ProviderOnHost]


def parse_probe_output(text: str, providers: Sequence[Provider]) -> tuple[ProbeFacts, bool]:
    """The probe script's lines as HostProbe fields, and whether the root is writable."""
    found: dict[str, ProviderOnHost] = {p.name: ProviderOnHost(name=p.name, binary=p.binary) for p in providers}
    facts: ProbeFacts = {}
    writable = False
    for raw in strip_ansi(text).splitlines():
        kind, _, rest = raw.partition(" ")
        if kind == "tmux":
            facts["tmux"] = rest.strip()[:_VERSION_MAX_CHARS] or None
        elif kind == "git":
            facts["git"] = rest.strip()[:_VERSION_MAX_CHARS] or None
        elif kind == "root":
            parts = rest.split()
            writable = bool(parts) and parts[0] == "1"
            if len(parts) > 1 and parts[1].isdigit():
                facts["free_disk_bytes"] = int(parts[1]) * 1024
        elif kind == "provider":
            name, _, tail = rest.partition(" ")
            path, _, version = tail.partition(" ")
            if name in found and path and path != "-":
                found[name] = found[name].model_copy(
                    update={"path": path, "version": version.strip()[:_VERSION_MAX_CHARS] or None}
                )
        elif kind == "workers" and rest.strip().isdigit():
            facts["running_workers"] = int(rest.strip())
    facts["providers"] = list(found.values())
    return facts, writable
