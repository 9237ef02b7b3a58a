"""The TUI's client (AsyncSupervisorClient) across a supervisor killed with SIGKILL and started
anew: the next request reaches the new supervisor, instead of failing once on the dead one's
connection (a key the operator pressed would answer nothing)."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from workerkit import supervisor_pid, wait_gone

from cockpit.service.async_client import AsyncSupervisorClient

pytestmark = pytest.mark.integration


def test_a_request_after_the_supervisor_was_replaced_reaches_the_new_one(cockpit) -> None:
    client = AsyncSupervisorClient(cockpit.ws)

    async def ping() -> int:
        return int((await client.call("ping"))["pid"])

    async def scenario() -> tuple[int, int, int]:
        # started by the CLI, not by this process: a child of ours would linger as a zombie when killed
        assert (await asyncio.to_thread(cockpit.run, "status")).returncode == 0
        first = await ping()
        assert first == supervisor_pid(cockpit)
        os.kill(first, signal.SIGKILL)
        await asyncio.to_thread(wait_gone, first)
        assert (await asyncio.to_thread(cockpit.run, "status")).returncode == 0  # a new supervisor, started by the CLI
        second = supervisor_pid(cockpit)
        try:
            return first, second, await ping()  # on the connection the dead supervisor left
        finally:
            await client.close()

    first, second, answered_by = asyncio.run(scenario())
    assert second != first
    assert answered_by == second
