"""Fan-out of supervisor events to subscribers (TUIs, `cockpit wait`, `logs --follow`).

A subscriber that falls behind by more than its queue is told so and dropped,
rather than slowing the supervisor down; it reconnects and re-reads state.
"""

from __future__ import annotations

import asyncio
from typing import Any

QUEUE_SIZE = 10_000


class Bus:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self.changed = asyncio.Condition()
        # The supervisor's own followers (notifications): called for every event, never dropped,
        # and not counted as subscribers (which keep an idle supervisor alive).
        self.listeners: list[Any] = []

    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._queues.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def publish(self, event: dict[str, Any]) -> None:
        for listener in self.listeners:
            listener(event)
        for queue in list(self._queues):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._queues.discard(queue)
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(None)  # tells the reader it was dropped

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()
