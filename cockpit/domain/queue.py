"""Which queued dispatches may start now: a pure decision, given what runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Queued:
    id: str
    provider: str
    priority: int  # higher starts first
    order: int  # FIFO within a priority (the seq of its dispatch_created receipt)


def pick_startable(
    queued: Iterable[Queued],
    running: Sequence[str],
    max_workers: int,
    per_provider: Mapping[str, int],
) -> list[Queued]:
    """Queued dispatches to start now, in start order, never exceeding either cap.

    `running` holds the provider name of every live worker. A dispatch whose provider
    is at its cap does not block others behind it (no head-of-line blocking).
    """
    counts = Counter(running)
    total = len(running)
    chosen: list[Queued] = []
    for item in sorted(queued, key=lambda q: (-q.priority, q.order)):
        if total >= max_workers:
            break
        cap = per_provider.get(item.provider)
        if cap is not None and counts[item.provider] >= cap:
            continue
        chosen.append(item)
        counts[item.provider] += 1
        total += 1
    return chosen
