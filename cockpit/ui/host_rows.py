"""How an SSH host reads in the hosts view: pure functions of a `hosts` reply row (and, for
the workers of this repository, the board's views). No Textual here."""

from __future__ import annotations

from collections.abc import Iterable

from cockpit.domain.provider import version_number
from cockpit.protocol.replies import HostInfo
from cockpit.protocol.views import DispatchView
from cockpit.ui import format as fmt

# Health: a glyph and a word (it reads without colour) and a theme colour variable.
USABLE = ("✓", "usable", "success")
UNREACHABLE = ("⌁", "unreachable", "warning")
UNUSABLE = ("!", "unusable", "error")


def health_of(host: HostInfo) -> tuple[str, str, str]:
    if not host.reachable:
        return UNREACHABLE
    return USABLE if host.usable else UNUSABLE


def last_error(host: HostInfo) -> str | None:
    """What is wrong, in one line: the last line ssh said (its own words), else the first problem."""
    lines = [line.strip() for line in (host.error or "").splitlines() if line.strip()]
    if lines:
        return lines[-1]
    return host.problems[0] if host.problems else None


def fmt_latency(host: HostInfo) -> str:
    if host.latency_ms is None:
        return "-"
    return f"{host.latency_ms:.0f}ms" if host.latency_ms >= 1 else "<1ms"


def fmt_workers(host: HostInfo) -> str:
    """Running / capacity: the probe's count of live workers under its root (every repository's)."""
    running = "-" if host.running_workers is None else str(host.running_workers)
    return f"{running}/{host.capacity}"


def fmt_bytes(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "K", "M", "G"):
        if size < 1024:
            return f"{size:.0f}{unit}" if unit in ("B", "K") else f"{size:.1f}{unit}"
        size /= 1024
    return f"{size:.1f}T"


def fmt_clis(host: HostInfo) -> str:
    """The catalog CLIs the host has, with their version numbers: `claude 2.1.197, fake 0.1.0`."""
    found = [f"{cli.name} {version_number(cli.version) or ''}".strip() for cli in host.providers if cli.path]
    return ", ".join(found) or "-"


def workers_here(host: HostInfo, views: Iterable[DispatchView]) -> list[str]:
    """The ids of this repository's live workers on the host (from the board, not the probe)."""
    return [v.id for v in views if fmt.host_of(v) == host.name and v.state in fmt.LIVE]


def detail_lines(host: HostInfo, here: list[str]) -> list[tuple[str, str, str]]:
    """The selected host, one (label, text, colour variable) a line."""
    glyph, word, colour = health_of(host)
    health = f"{glyph} {word}" + (f", {fmt_latency(host)} a round trip" if host.latency_ms is not None else "")
    lines = [("ssh", host.ssh, "foreground"), ("health", health, colour)]
    if host.error:
        lines.append(("error", last_error(host) or "", "warning"))
    problems = [p for p in host.problems if not p.startswith("unreachable: ")]  # that one is ssh's error
    lines += [("problem" if i == 0 else "", problem, "error") for i, problem in enumerate(problems)]
    ours = f"; this repository's: {', '.join(here)}" if here else ""
    if host.running_workers is None:
        lines.append(("workers", f"? running of {host.capacity} at once (unknown until it answers){ours}", "foreground"))
    else:
        lines.append(("workers", f"{host.running_workers} running of {host.capacity} at once{ours}", "foreground"))
    if host.labels:
        lines.append(("labels", ", ".join(host.labels), "foreground"))
    if host.reachable:
        lines.append(("tools", f"{host.tmux or 'no tmux'} · {host.git or 'no git'}", "foreground"))
        lines.append(("free disk", fmt_bytes(host.free_disk_bytes), "foreground"))
        missing = [cli.name for cli in host.providers if not cli.path]
        lines.append(("CLIs", fmt_clis(host) + (f" (not found: {', '.join(missing)})" if missing else ""), "foreground"))
    return lines
