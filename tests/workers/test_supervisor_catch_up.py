"""The supervisor folds only what the store has not folded, before it answers; a client that
finds it catching up waits with a progress line; `state rebuild` keeps the old store when the
ledger does not verify."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from cockpit.errors import ServiceError
from cockpit.ledger import Entry, Ledger
from cockpit.service import client
from cockpit.service.supervisor import write_progress
from cockpit.store import Store


def append_notes(directory: Path, count: int) -> None:
    with Ledger(directory) as ledger:
        for start in range(0, count, 1000):
            ledger.append_many(
                [Entry("note", "bench", None, {"text": f"note {i}"}) for i in range(start, min(count, start + 1000))]
            )


def folded_lines(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if "folding" in line or "folded" in line]


def test_a_starting_supervisor_folds_what_is_new_and_only_that(cockpit) -> None:
    cockpit.run("init", check=True)
    state = cockpit.ws.state
    append_notes(state.ledger_dir, 5000)  # written while no supervisor ran: the store is behind
    assert cockpit.ws.store.pending_bytes() > 0
    behind = len((state.ledger_dir / "ledger.ndjson").read_bytes().splitlines()) - cockpit.ws.store.last_seq
    assert behind >= 5000
    cockpit.run("status", check=True)  # starts the supervisor, which folds them before answering
    lines = folded_lines(state.supervisor_log)
    assert any(f"folded {behind} receipts" in line for line in lines), lines
    cockpit.stop()
    fresh = Store(state.root / "state.db", state.ledger_dir)
    assert fresh.pending_bytes() == 0
    notes = fresh.conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0]
    fresh.close()
    assert notes == 5000
    cockpit.run("status", check=True)  # caught up: the next start folds nothing
    assert folded_lines(state.supervisor_log) == lines
    assert not state.supervisor_progress.exists()


def test_a_client_waits_for_a_supervisor_that_is_catching_up(cockpit, monkeypatch, capsys) -> None:
    """Longer than START_TIMEOUT, as long as the progress file keeps moving; then it connects."""
    monkeypatch.setattr(client, "START_TIMEOUT", 0.6)
    state = cockpit.ws.state
    state.ensure()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)

    def play_a_slow_supervisor() -> None:
        for done in range(0, 100, 5):  # 2 s of progress: more than three START_TIMEOUTs
            write_progress(state.supervisor_progress, done * 1_000_000, 100_000_000)
            time.sleep(0.1)
        listener.bind(str(state.socket_path))
        listener.listen(4)
        state.supervisor_progress.unlink()

    player = threading.Thread(target=play_a_slow_supervisor)
    started = time.monotonic()
    player.start()
    try:
        client.wait_until_answering(cockpit.ws)
    finally:
        player.join()
        listener.close()
        state.socket_path.unlink(missing_ok=True)
    assert time.monotonic() - started > 1.5
    err = capsys.readouterr().err
    assert "waiting for the supervisor to catch up with the ledger: 0% of 100.0 MB" in err


def test_a_client_gives_up_on_a_supervisor_showing_no_progress(cockpit, monkeypatch) -> None:
    monkeypatch.setattr(client, "START_TIMEOUT", 0.5)
    cockpit.ws.state.ensure()
    write_progress(cockpit.ws.state.supervisor_progress, 10, 100)  # stuck: it never moves again
    with pytest.raises(ServiceError, match="did not start within"):
        client.wait_until_answering(cockpit.ws)


def test_rebuild_keeps_the_old_store_when_the_ledger_does_not_verify(cockpit) -> None:
    cockpit.run("init", check=True)
    for text in ("first", "second", "third"):
        cockpit.run("note", text, check=True)
    assert "rebuilt the state store from 4 receipts" in cockpit.run("state", "rebuild", check=True).stdout
    state = cockpit.ws.state
    before = cockpit.ws.store.snapshot()
    ledger = state.ledger_dir / "ledger.ndjson"
    ledger.write_bytes(ledger.read_bytes().replace(b'"text":"second"', b'"text":"sec0nd"'))
    result = cockpit.run("state", "rebuild")
    assert result.returncode == 1
    assert "does not verify" in result.stderr and "refusing to rebuild" in result.stderr
    assert "Traceback" not in result.stderr
    cockpit.ws.store.close()
    assert cockpit.ws.store.snapshot() == before
