"""The browser face's door: a secret per state directory, a cookie, and an Origin check.

textual-serve has no authentication of its own, and its websocket drives the whole TUI
(approve included), so every request must prove it holds the secret the operator was
shown: the token in the printed URL once, then an HttpOnly, SameSite=Strict cookie.
The websocket upgrade must also come from the served origin, so a foreign page cannot
ride the cookie (browsers send cookies with cross-site websocket upgrades otherwise).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from urllib.parse import urlsplit

from aiohttp import web

COOKIE = "cockpit_session"
MAX_AGENT = 200

# The browser client of the request being handled: set per request task by the guard and
# read when textual-serve builds the app's command for that websocket.
current_client: ContextVar[dict[str, str] | None] = ContextVar("cockpit_web_client", default=None)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

FORBIDDEN_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>cockpit: private</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>This cockpit is private</h1>
<p>Ask the operator for the link: <code>cockpit serve</code> prints it, ending in
<code>?token=&hellip;</code>. Opening that link once lets this browser in.</p>
</body></html>
"""


def cookie_value(token: str) -> str:
    """What the cookie holds: derived from the token, so the URL's token never sits in a cookie jar."""
    return hmac.new(token.encode(), b"cockpit-serve-cookie", hashlib.sha256).hexdigest()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def web_client_env(client: dict[str, str] | None) -> str | None:
    return json.dumps(client, sort_keys=True) if client else None


class Guard:
    """aiohttp middleware: 403 without the secret; one origin for the websocket."""

    __middleware_version__ = 1  # what aiohttp looks for to call it as (request, handler)

    def __init__(self, token: str, public_url: str, websocket_path: str = "/ws") -> None:
        self.token = token
        self.cookie = cookie_value(token)
        self.origin = origin_of(public_url)
        self.host = urlsplit(public_url).netloc.lower()
        self.websocket_path = websocket_path

    def _has_secret(self, request: web.Request) -> tuple[bool, bool]:
        """(allowed, came with the URL token)."""
        given = request.query.get("token")
        if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
            return True, True
        cookie = request.cookies.get(COOKIE)
        if cookie is not None and hmac.compare_digest(cookie.encode(), self.cookie.encode()):
            return True, False
        return False, False

    async def __call__(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        allowed, by_token = self._has_secret(request)
        if not allowed:
            return web.Response(status=403, text=FORBIDDEN_PAGE, content_type="text/html")
        if request.path == self.websocket_path:
            origin = request.headers.get("Origin")
            # Browsers always send Origin on a websocket upgrade; a client without one is not
            # a page riding the cookie (it had to present the secret itself).
            if origin is not None and origin.lower() != self.origin:
                return web.Response(status=403, text="cockpit: websocket from a foreign origin refused\n")
        elif by_token and request.method == "GET":
            # Trade the token for the cookie, and drop it from the address bar and history.
            if request.host.lower() != self.host:
                # The cookie must be set on the host the app's websocket URL names.
                raise web.HTTPFound(self.origin + str(request.rel_url))
            query = {k: v for k, v in request.query.items() if k != "token"}
            target = request.rel_url.with_query(query) if query else request.rel_url.with_query(None)
            response = web.HTTPFound(str(target))
            response.set_cookie(COOKIE, self.cookie, httponly=True, samesite="Strict", path="/")
            return response
        client = {"address": request.remote or "", "user_agent": _printable(request.headers.get("User-Agent", ""))}
        current_client.set(client)
        return await handler(request)


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable())[:MAX_AGENT]
