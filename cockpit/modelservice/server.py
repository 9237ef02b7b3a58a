"""The scripted model service: an aiohttp server that answers agent CLIs from a Scenario.

Each wire module (one per API family) registers its routes and, per request, decides
whether it is a main conversation turn (consumes the next scenario turn) or an
auxiliary request (title generation, quota probes, token counting: answered
generically, logged, no turn consumed). Every request is logged, so a test can check
that a prompt arrived exactly once.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from dataclasses import dataclass, field

from aiohttp import web

from cockpit.domain.json_value import JsonValue
from cockpit.modelservice.scenario import Scenario, Turn

# Wire modules: each exposes add_routes(app, service). Add a line when adding a wire.
WIRES = [
    "cockpit.modelservice.wire_anthropic",
    "cockpit.modelservice.wire_openai_chat",
    "cockpit.modelservice.wire_openai_responses",
    "cockpit.modelservice.wire_gemini",
]

# What a main request gets once the scenario has no turns left.
EXHAUSTED = Turn(kind="text", text="(the scripted scenario has no more turns)")


@dataclass
class RecordedRequest:
    api: str  # "anthropic", "openai-responses", "openai-chat", "gemini"
    method: str
    path: str
    turn: int | None  # index of the scenario turn it consumed; None = auxiliary
    user_text: str  # text of the newest user message ("" when it holds only tool results)
    body: JsonValue = field(repr=False, default=None)  # as the client sent it (text for an unknown route)
    exhausted: bool = False  # a main request that came after the last turn


class ModelService:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.requests: list[RecordedRequest] = []
        self._next = 0  # index of the next turn to use
        self._used = 0  # requests answered by the current turn
        self._stopping: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.turn_done: list[float] = []  # wall-clock time each main answer finished (benchmarks)

    # -- used by wire modules -------------------------------------------------

    def take_turn(self) -> tuple[int | None, Turn]:
        """The turn that answers the next main request (index None once exhausted)."""
        if self._next >= len(self.scenario.turns):
            return None, EXHAUSTED
        index, turn = self._next, self.scenario.turns[self._next]
        self._used += 1
        if turn.repeat and self._used >= turn.repeat:
            self._next, self._used = self._next + 1, 0
        return index, turn

    def record(
        self, request: web.Request, api: str, turn: int | None, user_text: str, body: JsonValue, *, exhausted: bool = False
    ) -> None:
        self.requests.append(RecordedRequest(api, request.method, request.path, turn, user_text, body, exhausted))

    async def hold(self) -> None:
        """Wait until the service stops (a `hang` turn)."""
        assert self._stopping is not None
        await self._stopping.wait()

    def finished_turn(self) -> None:
        self.turn_done.append(time.time())

    # -- used by tests and the CLI --------------------------------------------

    def main_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.turn is not None or r.exhausted]

    def prompt_count(self, text: str) -> int:
        """How many main-turn requests carried `text` as their newest user message."""
        needle = text.strip()
        return sum(1 for r in self.main_requests() if needle and needle in r.user_text)

    def turns_used(self) -> int:
        return len({r.turn for r in self.requests if r.turn is not None})

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        for name in WIRES:
            importlib.import_module(name).add_routes(app, self)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        addresses = self._runner.addresses  # the bound port when port 0 was asked for
        bound = addresses[0][1] if addresses else port
        self.url = f"http://{host}:{bound}"
        return self.url

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _unknown(self, request: web.Request) -> web.Response:
        # HEAD / (claude's connectivity probe) and anything no wire claims: logged, answered plainly.
        body = await request.read()
        self.record(request, "none", None, "", body.decode("utf-8", "replace")[:2000])
        if request.method in ("HEAD", "GET") and request.path == "/":
            return web.Response(text="cockpit model service\n")
        return web.json_response({"error": {"message": f"no route for {request.method} {request.path}"}}, status=404)


class ModelServiceThread:
    """A ModelService on its own event loop in a background thread (for sync callers)."""

    def __init__(self, scenario: Scenario, host: str = "127.0.0.1", port: int = 0) -> None:
        self.service = ModelService(scenario)
        self._host, self._port = host, port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="model-service", daemon=True)
        self.url = ""

    def start(self) -> ModelServiceThread:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self.service.start(self._host, self._port), self._loop)
        self.url = future.result(timeout=30)
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.service.stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def __enter__(self) -> ModelServiceThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def requests(self) -> list[RecordedRequest]:
        return list(self.service.requests)

    def prompt_count(self, text: str) -> int:
        return self.service.prompt_count(text)
