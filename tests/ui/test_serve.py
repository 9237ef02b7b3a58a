"""`cockpit serve`: the TUI in a browser, behind a secret, against a real server process.

Every test talks HTTP and websockets to the real `cockpit serve` with a real client
(aiohttp), the way a browser or a hostile local process would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from .terminal import cockpit_argv
from .test_terminal_e2e import free_port

pytestmark = pytest.mark.integration


class Served:
    def __init__(self, process: subprocess.Popen, port: int, url: str, token: str, banner: str) -> None:
        self.process, self.port, self.url, self.token = process, port, url, token
        self.banner = banner  # what it printed before listening (the link)
        self.base = f"http://127.0.0.1:{port}"

    def output(self) -> str:
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            out, _ = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            out, _ = self.process.communicate()
        _wait_until_group_is_gone(self.process.pid)
        return self.banner + out.decode("utf-8", "replace")


def _wait_until_group_is_gone(pgid: int) -> None:
    """The browsers' TUIs (serve's children, in its process group) may outlive serve for a
    moment, and one may still be starting the repository's supervisor then: once the group is
    empty, every supervisor a TUI started is running and can be found and stopped."""
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, sig)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
    raise AssertionError(f"serve's process group {pgid} outlived SIGKILL")


def start_serve(repo: Path, *extra: str) -> Served:
    port = free_port()
    process = subprocess.Popen(
        cockpit_argv() + ["serve", "--port", str(port), *extra],
        cwd=repo,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert process.stdout is not None
    first = b""
    deadline = time.monotonic() + 30
    while b"token=" not in first and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        first += line
    found = re.search(rb"(http://\S+/\?token=(\S+))", first)
    assert found, first.decode("utf-8", "replace")
    served = Served(process, port, found.group(1).decode(), found.group(2).decode(), first.decode("utf-8", "replace"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return served
        time.sleep(0.05)
    raise AssertionError("cockpit serve never listened")


@pytest.fixture
def served(repo: Path) -> Iterator[Served]:
    s = start_serve(repo)
    yield s
    s.output()
    stop_supervisors_started_in(repo)


def _supervisors_in(repo: Path) -> list[int]:
    """`cockpit supervise` processes working in `repo` (a browser's TUI started them)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"supervise" in (entry / "cmdline").read_bytes():
                if Path(os.readlink(entry / "cwd")) == repo:
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def stop_supervisors_started_in(repo: Path) -> None:
    """Each browser's TUI starts the repository's supervisor, which outlives the TUI by design:
    stop it and its tmux server, as `cockpit supervise --stop` would, once it answers (it may
    still be starting when the server stops). One that has not answered within the limit (a
    loaded machine) is not given up on: SIGTERM stops it as well, SIGKILL at last."""
    from cockpit.service.client import supervisor_answers
    from cockpit.service.workspace import Workspace

    from .conftest import stop_everything

    ws = Workspace.open(repo, create=False)
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        for pid in _supervisors_in(repo) if sig is not None else ():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 30
        while _supervisors_in(repo) and time.monotonic() < deadline:
            if sig is None and supervisor_answers(ws):
                stop_everything(ws)
            time.sleep(0.2)
        if not _supervisors_in(repo):
            break
    stop_everything(ws)  # the tmux server, whichever way the supervisor ended
    left = _supervisors_in(repo)
    assert not left, f"supervisors in {repo} outlived SIGKILL: {left}"


async def fetch(
    url: str, *, cookies: dict[str, str] | None = None, follow: bool = False
) -> tuple[int, str, aiohttp.ClientResponse]:
    async with aiohttp.ClientSession(cookies=cookies) as session:
        async with session.get(url, allow_redirects=follow) as response:
            return response.status, await response.text(), response


async def websocket_status(
    url: str, *, headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None
) -> tuple[int, str]:
    """(HTTP status of the upgrade, first bytes the app sent or '')."""
    async with aiohttp.ClientSession(cookies=cookies) as session:
        try:
            async with session.ws_connect(url, headers=headers) as ws:
                await ws.send_json(["resize", {"width": 80, "height": 24}])
                got = ""
                try:
                    msg = await ws.receive(timeout=30)
                    got = str(msg.data)[:200]
                except TimeoutError:
                    pass
                return 101, got
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status, ""


def run(coro):  # noqa: ANN001, ANN201 - a tiny helper for sync tests
    return asyncio.run(coro)


def test_without_the_token_the_page_and_the_websocket_are_forbidden(served: Served) -> None:
    status, text, _ = run(fetch(served.base + "/"))
    assert status == 403 and "Ask the operator for the link" in text
    assert run(fetch(served.base + "/static/js/textual.js"))[0] == 403
    assert run(websocket_status(f"ws://127.0.0.1:{served.port}/ws"))[0] == 403


def test_a_wrong_token_is_forbidden(served: Served) -> None:
    wrong = served.token[:-1] + ("A" if served.token[-1] != "A" else "B")
    assert run(fetch(f"{served.base}/?token={wrong}"))[0] == 403
    assert run(websocket_status(f"ws://127.0.0.1:{served.port}/ws?token={wrong}"))[0] == 403
    assert run(fetch(served.base + "/", cookies={"cockpit_session": "forged"}))[0] == 403


def test_the_token_buys_an_httponly_strict_cookie_that_works_on_a_second_visit(served: Served) -> None:
    async def scenario() -> tuple[int, str, str, int, str, int]:
        jar = aiohttp.CookieJar(unsafe=True)  # the jar keeps cookies for an IP host, as browsers do
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            async with session.get(served.url, allow_redirects=False) as first:
                set_cookie = first.headers.get("Set-Cookie", "")
                location = first.headers.get("Location", "")
                first_status = first.status
            async with session.get(served.base + "/") as second:
                page = await second.text()
                second_status = second.status
            async with session.ws_connect(
                f"ws://127.0.0.1:{served.port}/ws?width=80&height=24", headers={"Origin": served.base}
            ) as ws:
                await ws.send_json(["resize", {"width": 80, "height": 24}])
                msg = await ws.receive(timeout=60)
                ws_status = 101 if msg.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT) else 0
        return first_status, set_cookie, location, second_status, page, ws_status

    first_status, set_cookie, location, second_status, page, ws_status = run(scenario())
    assert first_status == 302 and "token" not in location  # the token leaves the address bar
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    assert served.token not in set_cookie  # the cookie is derived, not the token itself
    assert second_status == 200 and "ws://127.0.0.1" in page  # the page that opens the app
    assert ws_status == 101  # the live app answered over the websocket


def test_a_websocket_from_a_foreign_origin_is_refused_even_with_the_secret(served: Served) -> None:
    url = f"ws://127.0.0.1:{served.port}/ws?token={served.token}"
    status, _ = run(websocket_status(url, headers={"Origin": "http://evil.example"}))
    assert status == 403
    status, _ = run(websocket_status(url, headers={"Origin": f"http://127.0.0.1:{served.port + 1}"}))
    assert status == 403


def test_the_secret_is_kept_0600_and_stays_out_of_logs_and_receipts(repo: Path) -> None:
    served = start_serve(repo)
    run(fetch(served.url))  # the access log sees the token in the query string
    run(fetch(served.base + "/?token=" + served.token + "&fontsize=12"))
    out = served.output()
    assert out.count(served.token) == 1  # printed once, as the link to open
    state = Path(os.environ["COCKPIT_HOME"])
    token_files = list(state.rglob("serve.token"))
    assert len(token_files) == 1 and token_files[0].stat().st_mode & 0o777 == 0o600
    for path in state.rglob("*"):
        if path.is_file() and path.name != "serve.token":
            assert served.token.encode() not in path.read_bytes(), path


def test_the_link_is_stable_until_new_token_rotates_it(repo: Path) -> None:
    first = start_serve(repo)
    first.output()
    second = start_serve(repo)
    second.output()
    assert second.token == first.token
    third = start_serve(repo, "--new-token")
    try:
        assert third.token != first.token
        assert run(fetch(f"{third.base}/?token={first.token}"))[0] == 403
    finally:
        third.output()


def test_a_browser_client_is_recorded_beside_the_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    from cockpit.service.identity import operator_actor, operator_identity

    client = {"address": "127.0.0.1", "user_agent": "Mozilla/5.0 test"}
    monkeypatch.setenv("COCKPIT_WEB_CLIENT", json.dumps(client))
    assert operator_identity()["web_client"] == client
    assert operator_actor().endswith(" via browser 127.0.0.1")
    monkeypatch.delenv("COCKPIT_WEB_CLIENT")
    assert operator_identity()["web_client"] is None


def test_bad_addresses_fail_in_one_line(repo: Path) -> None:
    cases = [
        (["--port", "70000"], "out of range"),
        (["--port", "abc"], "invalid int value"),
        (["--host", "no-such-host.invalid"], "does not resolve"),
    ]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        cases.append((["--port", str(busy.getsockname()[1])], "is in use"))
        for extra, words in cases:
            done = subprocess.run(cockpit_argv() + ["serve", *extra], cwd=repo, capture_output=True, text=True, timeout=60)
            assert done.returncode == 2, (extra, done.stderr)
            assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1, (extra, done.stderr)
            assert "Traceback" not in done.stderr


def _children_environ(pid: int) -> list[dict[str, str]]:
    """The environments of every descendant of `pid` (the TUIs textual-serve started)."""
    found: list[dict[str, str]] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            pending.append(child)
            try:
                raw = Path(f"/proc/{child}/environ").read_bytes()
            except OSError:
                continue
            found.append(dict(item.split("=", 1) for item in raw.decode("utf-8", "replace").split("\0") if "=" in item))
    return found


def test_a_real_browser_with_the_link_gets_the_live_app_and_without_it_the_private_page(served: Served, tmp_path: Path) -> None:
    from .browser import Browser

    async def scenario() -> tuple[str, bool, str]:
        async with Browser() as browser:
            await browser.navigate(f"{served.base}/")
            refused = ""
            for _ in range(100):
                refused = str(await browser.evaluate("document.body ? document.body.innerText : ''") or "")
                if "Ask the operator" in refused:
                    break
                await asyncio.sleep(0.1)
            await browser.navigate(served.url)
            connected = False
            for _ in range(600):  # the app is a fresh `cockpit ui` process: give it time under load
                state = await browser.evaluate(
                    "document.body.classList.contains('-first-byte') && !!document.querySelector('.textual-terminal.-connected')"
                )
                if state:
                    connected = True
                    break
                await asyncio.sleep(0.1)
            await browser.screenshot(tmp_path / "browser.png")
            address = str(await browser.evaluate("location.href"))
        return refused, connected, address

    refused, connected, address = run(scenario())
    assert "Ask the operator for the link" in refused
    assert connected, "the live app never drew in the browser"
    assert "token" not in address  # the secret left the address bar after the exchange
    # The TUI the browser drives knows which browser it is: approvals will record it.
    clients = [env["COCKPIT_WEB_CLIENT"] for env in _children_environ(served.process.pid) if "COCKPIT_WEB_CLIENT" in env]
    assert clients and "HeadlessChrome" in json.loads(clients[0])["user_agent"]
