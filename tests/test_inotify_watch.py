"""cockpit/runtime/inotify.py: real files, the real kernel; batches as watchfiles made them, no thread."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from cockpit.runtime.inotify import watch


async def _collect(dirs: list[Path], wanted, stop: asyncio.Event, out: list[set[str]]) -> None:
    async for batch in watch(dirs, wanted, stop, step_s=0.04, debounce_s=0.4):
        out.append(batch)


def test_changes_come_in_batches_filtered_and_the_watch_ends_on_stop(tmp_path: Path) -> None:
    logs, other = tmp_path / "logs", tmp_path / "other"
    logs.mkdir()
    other.mkdir()

    async def scenario() -> list[set[str]]:
        stop, batches = asyncio.Event(), []
        threads = threading.active_count()
        task = asyncio.create_task(_collect([logs, other], lambda p: p.endswith(".log"), stop, batches))
        await asyncio.sleep(0.05)
        assert threading.active_count() == threads  # no polling thread: the loop waits on the descriptor
        (logs / "a.log").write_text("one\n")
        for i in range(5):  # a burst: one batch
            with open(logs / "b.log", "a") as handle:
                handle.write(f"{i}\n")
        (logs / "ignored.txt").write_text("x")
        (other / "c.log").write_text("y")
        deadline = asyncio.get_running_loop().time() + 10
        while not batches and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # anything left would arrive as a further batch
        (logs / "a.log").unlink()
        while len(batches) < 2 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 2)
        return batches

    batches = asyncio.run(scenario())
    assert batches[0] == {str(logs / "a.log"), str(logs / "b.log"), str(other / "c.log")}
    assert batches[1:] == [{str(logs / "a.log")}]  # a deletion is a change too


def test_a_directory_that_cannot_be_watched_is_an_error(tmp_path: Path) -> None:
    async def scenario() -> None:
        async for _batch in watch([tmp_path / "missing"], lambda _p: True, asyncio.Event()):
            pass

    try:
        asyncio.run(scenario())
    except OSError as exc:
        assert "missing" in str(exc)
    else:
        raise AssertionError("watching a missing directory did not fail")
