"""The supervisor's local channel: JSON lines over a unix socket in the 0700 state directory.

The lines, their requests, replies, errors and events are defined in cockpit/protocol
(envelope.py has the shapes). Op "subscribe" turns the connection into a stream of events.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cockpit.errors import CockpitError
from cockpit.protocol.envelope import RequestLine, encode, error_line, reply_line
from cockpit.protocol.errors import ErrorBody, ErrorCode, error_body
from cockpit.protocol.errors import raise_error as raise_error_body
from cockpit.protocol.wire import LINE_LIMIT


@dataclass(frozen=True)
class Peer:
    pid: int | None
    uid: int | None


# A request's arguments as the client sent them: any JSON object, until the supervisor checks
# them against the op's model (cockpit.protocol.requests.parse_args).
RawArgs = dict[str, object]
Handler = Callable[[str, RawArgs, Peer], Awaitable[Any]]
# One op's handler: its arguments model (cockpit/protocol/requests.py), or the arguments as sent
# for an op the protocol does not describe yet, and the requester.
OpHandler = Callable[[Any, Peer], Awaitable[Any]]
Subscriber = Callable[[asyncio.StreamWriter, RawArgs], Awaitable[None]]


__all__ = ["LINE_LIMIT", "ChannelServer", "OpHandler", "Peer", "RawArgs", "encode", "raise_error"]


def raise_error(payload: object) -> None:
    """Raise the error of a failed reply (its `error` object, as received)."""
    raise_error_body(ErrorBody.model_validate(payload if isinstance(payload, dict) else {}))


def peer_of(writer: asyncio.StreamWriter) -> Peer:
    sock = writer.get_extra_info("socket")
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, uid, _gid = struct.unpack("3i", raw)
        return Peer(pid, uid)
    except (OSError, AttributeError):
        return Peer(None, None)


class ChannelServer:
    def __init__(self, path: Path, handler: Handler, subscriber: Subscriber) -> None:
        self.path = Path(path)
        self.handler = handler
        self.subscriber = subscriber
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            self.path.unlink()  # stale socket of a dead supervisor; we hold the supervisor lock
        except FileNotFoundError:
            pass
        old_umask = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path), limit=LINE_LIMIT)
        finally:
            os.umask(old_umask)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = peer_of(writer)
        try:
            while line := await reader.readline():
                try:
                    request = RequestLine.model_validate_json(line)
                except ValueError:  # pydantic's ValidationError is one
                    malformed = ErrorBody(code=ErrorCode.MALFORMED, message="malformed request", exit_code=2)
                    writer.write(error_line(None, malformed))
                    await writer.drain()
                    continue
                rid, op, args = request.id, request.op, dict(request.args or {})
                if op == "subscribe":
                    await self.subscriber(writer, args)
                    return
                try:
                    reply = reply_line(rid, await self.handler(op, args, peer))
                except CockpitError as exc:
                    reply = error_line(rid, error_body(exc))
                except Exception as exc:  # noqa: BLE001 a bug: report it, log it, keep the supervisor alive
                    logging.getLogger("cockpit.supervisor").exception("request %s failed", op)
                    internal = ErrorBody(
                        code=ErrorCode.INTERNAL,
                        message=f"internal error in the supervisor: {type(exc).__name__}: {exc}",
                        hint="see supervisor.log in the state directory",
                        exit_code=1,
                    )
                    reply = error_line(rid, internal)
                writer.write(reply)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
