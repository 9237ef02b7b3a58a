"""Fan-out of supervisor events to subscribers (TUIs, `cockpit wait`, `logs --follow`).

A subscriber that falls behind by more than its queue is told so and dropped,
rather than slowing the supervisor down; it reconnects and re-reads state.
Events are the models of cockpit/protocol/events.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from cockpit.protocol.events import Event

QUEUE_SIZE = 10_000


class Bus:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Event | None]] = set()
        self.changed = asyncio.Condition()
        # The supervisor's own followers (notifications): called for every event, never dropped,
        # and not counted as subscribers (which keep an idle supervisor alive).
        self.listeners: list[Callable[[Event], None]] = []

    def subscribe(self) -> asyncio.Queue[Event | None]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        self._queues.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def publish(self, event: Event) -> None:
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
