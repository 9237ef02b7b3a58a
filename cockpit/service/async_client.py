"""The TUI's asyncio client of the supervisor: requests on one connection, events on another.

It follows the CLI's client (client.py) in what it sends again: a request no supervisor read.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from cockpit.errors import ServiceError
from cockpit.protocol.wire import LINE_LIMIT, reply_id, request_line, result_of
from cockpit.service.client import DELIVERY_ATTEMPTS, check_args, parse_event, start_supervisor, unread_request_lost
from cockpit.service.workspace import Workspace

if TYPE_CHECKING:
    import asyncio

    from cockpit.protocol.events import Event


class AsyncSupervisorClient:
    """asyncio client for the TUI: requests on one connection, events on another."""

    def __init__(self, ws: Workspace, *, autostart: bool = True) -> None:
        import asyncio  # here: importing asyncio costs a CLI command ~40 ms of CPU it never needs

        self.ws = ws
        self.autostart = autostart
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()
        self._next_id = 0

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        import asyncio

        path = str(self.ws.state.socket_path)
        try:
            return await asyncio.open_unix_connection(path, limit=LINE_LIMIT)
        except OSError:
            if not self.autostart:
                raise ServiceError("the supervisor is not running") from None
            await asyncio.to_thread(start_supervisor, self.ws)
            return await asyncio.open_unix_connection(path, limit=LINE_LIMIT)

    async def call(self, op: str, **args: Any) -> Any:
        """As SupervisorClient.call: a request no supervisor read goes again (see unread_request_lost),
        on a new connection, to a supervisor started anew if need be."""
        check_args(op, args)
        async with self._lock:
            self._next_id += 1
            request_id = self._next_id
            request = request_line(request_id, op, args)
            for attempt in range(1, DELIVERY_ATTEMPTS + 1):
                try:
                    reader, writer = await self._connection()
                    writer.write(request)
                    await writer.drain()
                except OSError as exc:  # not sent: never read
                    await self.close()
                    if attempt == DELIVERY_ATTEMPTS:
                        raise ServiceError(f"lost the connection to the supervisor: {exc}") from None
                    continue
                try:
                    reply = await self._reply(reader, request_id)
                    break
                except OSError as exc:
                    await self.close()
                    if not unread_request_lost(exc) or attempt == DELIVERY_ATTEMPTS:
                        raise ServiceError(f"lost the connection to the supervisor: {exc}") from None
        return result_of(reply)

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """The request connection, opened anew when the supervisor at its other end has gone
        (its end of file arrived while the connection sat idle: a restarted supervisor)."""
        if self._reader is None or self._writer is None or self._reader.at_eof() or self._writer.is_closing():
            await self.close()
            self._reader, self._writer = await self._open()
        return self._reader, self._writer

    async def _reply(self, reader: asyncio.StreamReader, request_id: int) -> Any:
        while True:  # a reply to a request that was cancelled earlier is skipped by id
            line = await reader.readline()
            if not line:  # it may have read the request and acted on it: not sent again
                await self.close()
                raise ServiceError("the supervisor closed the connection")
            reply = json.loads(line)
            if reply_id(reply) in (request_id, None):
                return reply

    async def events(self, **args: Any) -> AsyncIterator[Event]:
        check_args("subscribe", args)
        reader, writer = await self._open()
        writer.write(request_line(0, "subscribe", args))
        await writer.drain()
        try:
            while line := await reader.readline():
                yield parse_event(json.loads(line)["event"])
        finally:
            writer.close()

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._reader = None
