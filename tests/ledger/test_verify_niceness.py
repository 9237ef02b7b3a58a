"""A rebuild's verify runs its worker processes at a lower priority than the fold beside it
(cli/basic.py VERIFY_NICENESS): the workers really run at the niceness asked, and still verify."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

from cockpit.ledger import Entry, Ledger

verify_module = importlib.import_module("cockpit.ledger.verify")
_real_scan = verify_module._scan


def _scan_noting_niceness(*args: object) -> object:  # runs in a forked worker
    Path(os.environ["NICENESS_SEEN"], str(os.getpid())).write_text(str(os.nice(0)))
    return _real_scan(*args)


@pytest.mark.parametrize("niceness", [0, 10])
def test_the_workers_run_at_the_niceness_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, niceness: int) -> None:
    with Ledger(tmp_path / "ledger") as ledger:
        ledger.append_many([Entry("note", "alice", None, {"text": f"n{i}"}) for i in range(200)])
    seen = tmp_path / "seen"
    seen.mkdir()
    monkeypatch.setenv("NICENESS_SEEN", str(seen))
    monkeypatch.setattr(verify_module, "_PARALLEL_FROM", 0)  # in worker processes however small
    monkeypatch.setattr(verify_module, "_scan", _scan_noting_niceness)
    report = verify_module.verify(tmp_path / "ledger", processes=2, niceness=niceness)
    assert report.ok, report.problem
    workers = {int(p.name): int(p.read_text()) for p in seen.iterdir()}
    assert workers and os.getpid() not in workers  # one worker may take both ranges
    assert set(workers.values()) == {os.nice(0) + niceness}
