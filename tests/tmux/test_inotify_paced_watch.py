"""runtime/inotify.py's paced watch (watch_paced) on real files: a signal line is handed over on its own, a busy
log's writes are merged but the last one is never dropped, a file created after the
watch started is seen, and the watch ends when asked."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from cockpit.runtime.inotify import Inotify, watch_paced

pytestmark = [pytest.mark.integration]


async def _collect(signals: Inotify, logs: Inotify, stop: asyncio.Event, into: list[set[str]]) -> None:
    async for batch in watch_paced(signals, logs, lambda _path: True, stop, hold_s=0.5):
        into.append(batch)


def _wait(test, limit: float = 10.0):
    async def waiting() -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while not test():
            assert loop.time() < deadline, "the watch never reported it"
            await asyncio.sleep(0.005)

    return waiting()


def test_signals_come_alone_and_a_busy_logs_last_write_is_never_dropped(tmp_path: Path) -> None:
    logs, signals = tmp_path / "logs", tmp_path / "signals"
    logs.mkdir()
    signals.mkdir()
    log, sig = logs / "w1.log", signals / "w1.ndjson"

    async def scenario() -> list[set[str]]:
        signals_watch, logs_watch = Inotify([signals]), Inotify([logs])
        stop, batches = asyncio.Event(), []
        task = asyncio.create_task(_collect(signals_watch, logs_watch, stop, batches))
        with open(sig, "a") as handle:  # created after the watch started
            handle.write('{"event": "Stop"}\n')
        await _wait(lambda: any(str(sig) in b for b in batches))
        assert batches == [{str(sig)}]  # nothing else came with it
        with open(log, "a") as handle:
            handle.write("line 0\n")
        await _wait(lambda: any(str(log) in b for b in batches))  # the first write at once
        for i in range(1, 50):  # then a busy log: 49 writes well within one hold
            with open(log, "a") as handle:
                handle.write(f"line {i}\n")
        with open(sig, "a") as handle:  # a signal while the log is held comes at once, alone
            handle.write('{"event": "Notification"}\n')
        await _wait(lambda: sum(str(sig) in b for b in batches) == 2)
        assert batches[-1] == {str(sig)}, batches
        await _wait(lambda: sum(str(log) in b for b in batches) >= 2)  # held, then handed over once
        await asyncio.sleep(0.6)  # longer than the hold: a bug that hands over more would show
        stop.set()
        await asyncio.wait_for(task, 5)
        signals_watch.close()
        logs_watch.close()
        return batches

    batches = asyncio.run(scenario())
    assert sum(str(log) in b for b in batches) == 2, batches  # 50 writes merged into two hand-overs


def test_a_directory_that_does_not_exist_is_an_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="cannot watch"):
        Inotify([tmp_path / "missing"])
