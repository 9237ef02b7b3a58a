"""Where a dispatch runs: this machine or one of the SSH hosts. Pure: the caller probes.

Rules (docs/hosts.md):
  * `--host NAME`: that host or nothing; `--label L`: the hosts carrying L, in the order
    hosts.yaml lists them; neither (automatic): this machine first, then the hosts in order
    (`placement: {prefer: hosts}` in hosts.yaml: the hosts first, this machine last).
  * An executor is chosen when it is reachable and usable, has the provider, and has a
    free slot (its capacity: a host's `capacity`, this machine's `local_capacity`).
  * Automatic placement never refuses for want of a free slot: when every executor that
    could run it is full, the dispatch waits in the queue of the first of them (the
    scheduler starts it there when a slot frees), and the receipt says so (`waiting`).
  * Every executor considered and not chosen is named with its reason, for the
    `placement` receipt: "unreachable: <ssh's words>", "full (2/2 workers)",
    "provider claude missing", "label mismatch (no gpu)", or what makes the host unusable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, NotRequired, TypedDict

from cockpit.domain.hosts import LOCAL_NAME, HostProbe

Prefer = Literal["local", "hosts"]


@dataclass(frozen=True)
class Candidate:
    """One executor as placement sees it."""

    executor: str  # "local" or "ssh:<host>"
    host: str | None  # None for this machine
    reachable: bool = True
    error: str | None = None
    problems: tuple[str, ...] = ()
    has_provider: bool = True
    running: int = 0
    capacity: int = 1
    labels: tuple[str, ...] = ()

    @classmethod
    def for_host(cls, probe: HostProbe, provider: str, running: int | None = None) -> Candidate:
        return cls(
            executor=f"ssh:{probe.name}",
            host=probe.name,
            reachable=probe.reachable,
            error=probe.error,
            problems=tuple(p for p in probe.problems if not p.startswith("unreachable:")),
            has_provider=probe.has_provider(provider),
            running=(probe.running_workers or 0) if running is None else running,
            capacity=probe.capacity,
            labels=tuple(probe.labels),
        )

    @classmethod
    def local(cls, *, has_provider: bool, running: int, capacity: int) -> Candidate:
        return cls(executor=LOCAL_NAME, host=None, has_provider=has_provider, running=running, capacity=capacity)


class Rejected(TypedDict):
    executor: str
    reason: str


class PlacementData(TypedDict):
    """The `placement` receipt's data (docs/hosts.md)."""

    provider: str
    asked: dict[str, str]
    chosen: str | None  # the executor chosen; None: nothing fits
    rejected: list[Rejected]
    waiting: NotRequired[str]  # automatic placement, all full: why the chosen one makes it wait


@dataclass(frozen=True)
class Placement:
    chosen: Candidate | None
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (executor, reason)
    waiting: str | None = None  # automatic placement, all full: why the chosen one makes it wait

    def receipt_data(self, provider: str, asked: dict[str, str]) -> PlacementData:
        data: PlacementData = {
            "provider": provider,
            "asked": asked,
            "chosen": self.chosen.executor if self.chosen else None,
            "rejected": [{"executor": name, "reason": reason} for name, reason in self.rejected],
        }
        if self.waiting is not None:
            data["waiting"] = self.waiting
        return data

    def refusal(self, asked: str) -> str:
        """One line for an operator when nothing fits."""
        reasons = "; ".join(f"{name}: {reason}" for name, reason in self.rejected) or "no executor to consider"
        return f"no executor can run this dispatch ({asked}): {reasons}"


def rejection(candidate: Candidate, provider: str, label: str | None) -> str | None:
    """Why `candidate` cannot take the dispatch, or None when it can."""
    if label is not None and label not in candidate.labels:
        return f"label mismatch (no {label})"
    if not candidate.reachable:
        return f"unreachable: {candidate.error or 'no answer'}"
    if candidate.problems:
        return f"unusable: {candidate.problems[0]}"
    if not candidate.has_provider:
        return f"provider {provider} missing"
    if candidate.running >= candidate.capacity:
        return f"full ({candidate.running}/{candidate.capacity} workers)"
    return None


def place(
    candidates: Sequence[Candidate],
    *,
    provider: str,
    host: str | None = None,
    label: str | None = None,
    prefer: Prefer = "local",
) -> Placement:
    """The first candidate that fits, in the rules' order; the others before it, rejected.

    `candidates` lists this machine first, then the hosts in hosts.yaml order. With `host`,
    only that host is considered; with `label`, this machine is rejected (it has no labels).
    With neither, `prefer` says whether this machine or the hosts come first."""
    if host is not None:
        pool = [c for c in candidates if c.host == host]
    elif label is None and prefer == "hosts":
        pool = [c for c in candidates if c.host is not None] + [c for c in candidates if c.host is None]
    else:
        pool = list(candidates)
    rejected: list[tuple[str, str]] = []
    for candidate in pool:
        why = rejection(candidate, provider, label)
        if why is None:
            return Placement(candidate, rejected)
        rejected.append((candidate.executor, why))
    if host is not None or label is not None:
        return Placement(None, rejected)
    # Automatic: nothing has a free slot. Wait in the queue of the first that is only full.
    for candidate in pool:
        full = replace(candidate, running=0, capacity=1)
        if rejection(full, provider, None) is None:
            why = rejection(candidate, provider, None)
            return Placement(candidate, [r for r in rejected if r[0] != candidate.executor], waiting=why)
    return Placement(None, rejected)
