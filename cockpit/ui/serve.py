"""`cockpit serve`: the same TUI in a browser, through textual-serve, behind a secret."""

from __future__ import annotations

import errno
import logging
import re
import shlex
import socket
from pathlib import Path

from aiohttp import web
from textual_serve.server import Server

from cockpit.errors import UsageError
from cockpit.service.identity import WEB_CLIENT_ENV
from cockpit.ui.serve_auth import Guard, current_client, web_client_env

_TOKEN_IN_TEXT = re.compile(r"(token=)[^&\s\"']+")


class _RedactTokens(logging.Filter):
    """aiohttp's access log prints query strings: never the secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = _TOKEN_IN_TEXT.sub(r"\1***", str(record.msg))
        return True


class GuardedServer(Server):
    """textual-serve's server with cockpit's guard in front of every route.

    The app's command is a property so that each websocket's TUI process learns which
    browser drives it (address, user agent): approvals record it beside the operator.
    """

    def __init__(self, command: str, *, token: str, host: str, port: int) -> None:
        self._base_command = command
        super().__init__(command, host=host, port=port, title="cockpit", public_url=public_url(host, port))
        self.guard = Guard(token, self.public_url)

    @property
    def command(self) -> str:
        client = web_client_env(current_client.get())
        if client is None:
            return self._base_command
        return f"export {WEB_CLIENT_ENV}={shlex.quote(client)}; {self._base_command}"

    @command.setter
    def command(self, value: str) -> None:
        self._base_command = value

    def initialize_logging(self) -> None:
        super().initialize_logging()
        for name in ("aiohttp.access", "aiohttp.server", "textual-serve"):
            logging.getLogger(name).addFilter(_RedactTokens())

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints its own banner here; `cockpit serve` has printed the link."""


def serve(repo: Path, command: list[str], *, token: str, host: str, port: int) -> None:
    """Serve `command` (the TUI, run in `repo`) until interrupted."""
    GuardedServer(f"cd {shlex.quote(str(repo))} && {shlex.join(command)}", token=token, host=host, port=port).serve()


def public_url(host: str, port: int) -> str:
    """The origin browsers use: the cookie, the websocket URL and the Origin check all name it."""
    if host in ("0.0.0.0", "::", ""):
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def check_address(host: str, port: int) -> None:
    """Fail in one line, before anything starts, when the address cannot be served."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UsageError(
            f"--host {host!r} does not resolve ({exc})", hint="give an address of this machine, such as 127.0.0.1"
        ) from None
    family, kind, proto, _name, address = infos[0]
    probe = socket.socket(family, kind, proto)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is in use", hint="pick another with --port") from None
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror}", hint="give an address of this machine with --host"
        ) from None
    finally:
        probe.close()
