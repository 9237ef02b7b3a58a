"""The supervisor's local channel: JSON lines over a unix socket in the 0700 state directory.

Request:   {"id": n, "op": "status", "args": {...}}
Response:  {"id": n, "ok": true, "result": ...}
       or  {"id": n, "ok": false, "error": {"message": ..., "hint": ..., "exit_code": 1|2}}
Op "subscribe" turns the connection into a stream of {"event": {...}} lines.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cockpit.errors import CheckFailed, CockpitError, ServiceError, UsageError

LINE_LIMIT = 16 * 1024 * 1024  # a 1 MiB prompt, JSON-escaped, fits with room to spare


@dataclass(frozen=True)
class Peer:
    pid: int | None
    uid: int | None


Handler = Callable[[str, dict[str, Any], Peer], Awaitable[Any]]
Subscriber = Callable[[asyncio.StreamWriter, dict[str, Any]], Awaitable[None]]


def encode(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), default=str).encode("utf-8") + b"\n"


def error_payload(exc: CockpitError) -> dict[str, Any]:
    return {"message": exc.message, "hint": exc.hint, "exit_code": exc.exit_code}


def raise_error(payload: dict[str, Any]) -> None:
    cls = {2: UsageError, 1: CheckFailed}.get(int(payload.get("exit_code", 1)), ServiceError)
    raise cls(str(payload.get("message", "the supervisor refused")), hint=payload.get("hint"))


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
                    request = json.loads(line)
                    rid, op, args = request.get("id"), str(request["op"]), dict(request.get("args") or {})
                except (ValueError, KeyError, TypeError, AttributeError):
                    writer.write(
                        encode({"id": None, "ok": False, "error": {"message": "malformed request", "hint": None, "exit_code": 2}})
                    )
                    await writer.drain()
                    continue
                if op == "subscribe":
                    await self.subscriber(writer, args)
                    return
                try:
                    result = await self.handler(op, args, peer)
                    reply = {"id": rid, "ok": True, "result": result}
                except CockpitError as exc:
                    reply = {"id": rid, "ok": False, "error": error_payload(exc)}
                except Exception as exc:  # a bug: report it, keep the supervisor alive
                    reply = {
                        "id": rid,
                        "ok": False,
                        "error": {
                            "message": f"internal error in the supervisor: {type(exc).__name__}: {exc}",
                            "hint": "see supervisor.log in the state directory",
                            "exit_code": 1,
                        },
                    }
                    import logging

                    logging.getLogger("cockpit.supervisor").exception("request %s failed", op)
                writer.write(encode(reply))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
