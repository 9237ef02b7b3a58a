"""Crash injection: SIGKILL appenders, the supervisor and workers at random moments, round after round.

After every crash: the ledger verifies (after the repair the next append makes), no
acknowledged receipt is lost or changed and nothing committed is rewritten (no fork),
the store rebuilt from the ledger equals the live store, and every worker that was
live is re-adopted, seen to have exited, or marked lost; no tmux session runs
unsupervised.

COCKPIT_CRASH_ROUNDS (default 10) sets the number of rounds; COCKPIT_CRASH_SEED
replays one run (each failure message names its seed).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability_kit import (
    committed_prefix,
    live_rows,
    rebuilt_rows,
    sigkill,
    wait_gone,
)

from cockpit.domain.dispatch import LIVE_STATES
from cockpit.ledger import Ledger, iter_receipts, verify

ROUNDS = int(os.environ.get("COCKPIT_CRASH_ROUNDS", "10"))
SEED = int(os.environ.get("COCKPIT_CRASH_SEED", str(random.SystemRandom().randrange(1 << 30))))

# An appender that acknowledges each receipt only after append() returned (it is durable then):
# one O_APPEND write of "seq hash\n" per receipt, so an ack line is whole or absent.
APPENDER = """
import os, sys
from cockpit.ledger import Entry, Ledger
ledger = Ledger(sys.argv[1])
acks = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
name, i = sys.argv[3], 0
while True:
    i += 1
    if i % 7 == 0:
        done = ledger.append_many([Entry("note", name, None, {"i": i, "k": k}) for k in range(5)])
    else:
        done = [ledger.append("note", actor=name, data={"i": i, "pad": "x" * (i % 200)})]
    os.write(acks, "".join(f"{r.seq} {r.hash}\\n" for r in done).encode())
"""


ACKS_PER_ROUND = 60  # acknowledged receipts before each round's kills: enough for the test to prove something


def spawn_appender(directory: Path, acks: Path, name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", APPENDER, str(directory), str(acks), name])


def acknowledged(acks: Path) -> dict[int, str]:
    out: dict[int, str] = {}
    if acks.exists():
        for line in acks.read_text().splitlines():
            seq, digest = line.split()
            out[int(seq)] = digest
    return out


def check_ledger_after_crash(directory: Path, acks: Path, before: bytes, context: str) -> None:
    """Repair, verify, and compare with what was committed and acknowledged before the crash."""
    with Ledger(directory) as ledger:
        ledger.repair()
    report = verify(directory)
    assert report.ok, f"{context}: {report.problem}"
    data = (directory / "ledger.ndjson").read_bytes()
    assert data.startswith(before), f"{context}: committed bytes were rewritten"
    chain = {r.seq: r.hash for _, r in iter_receipts(directory)}
    assert sorted(chain) == list(range(1, len(chain) + 1)), f"{context}: seq gaps"
    for seq, digest in acknowledged(acks).items():
        assert chain.get(seq) == digest, f"{context}: acknowledged receipt {seq} was lost or forked"


def wait_for_acks(acks: Path, more_than: int, procs: list[subprocess.Popen[bytes]]) -> None:
    """Until the appenders have acknowledged more than `more_than` receipts in all: counted, not
    timed (interpreter start-up and appends take a while on a busy machine)."""
    deadline = time.monotonic() + 60
    while len(acknowledged(acks)) <= more_than:
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "the appenders never appended"
        time.sleep(0.01)


@pytest.mark.integration  # starts appender processes and kills them at random
def test_appenders_killed_at_random_never_lose_or_fork_an_acknowledged_receipt(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    acks = tmp_path / "acks"
    directory = tmp_path / "ledger"
    # The ledger exists first: a crash inside the very first append is its own test
    # (test_crash_windows.py), since it needs a head written by repair() alone.
    Ledger(directory).append("note", actor="setup", data={})
    for round_ in range(max(ROUNDS, 10)):
        procs = [spawn_appender(directory, acks, f"a{round_}-{k}") for k in range(rng.randint(2, 4))]
        # Enough work before every kill, however loaded the machine: a count of acknowledged
        # receipts, then a random moment after it (a fixed time let them hardly run under load).
        wait_for_acks(acks, len(acknowledged(acks)) + ACKS_PER_ROUND, procs)
        time.sleep(rng.uniform(0.0, 0.4))
        for proc in rng.sample(procs, len(procs)):
            time.sleep(rng.uniform(0, 0.03))
            sigkill(proc.pid)
            proc.wait()
        before = committed_prefix(directory)
        check_ledger_after_crash(directory, acks, before, f"seed {SEED} round {round_}")
    kinds = [r.kind for _, r in iter_receipts(directory)]
    assert kinds.count("ledger_created") == 1


# -- the supervisor, its workers and an outside appender, killed together ----------------------

PROMPTS = [
    "@fake sleep 0.3\n@fake say done",
    "@fake lines 40 80\n@fake usage 10 5 0.001",
    "@fake write work.txt w\n@fake commit work",
    "@fake hang",
    "@fake say quick",
]


def live_dispatches(cockpit) -> dict[str, str]:  # type: ignore[no-untyped-def]
    cockpit.ws.store.catch_up()
    return {d.id: str(d.state) for d in cockpit.ws.store.dispatches(states=tuple(str(s) for s in LIVE_STATES))}


def sessions(cockpit, *, running_only: bool) -> set[str]:  # type: ignore[no-untyped-def]
    return {p.session for p in cockpit.tmux().list_panes() if not (running_only and p.dead)}


def settle_round(cockpit, ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    """End the round: stop what still runs, wait for every dispatch to be final."""
    for dispatch_id in ids:
        cockpit.call("kill", id=dispatch_id, actor="crash-test")
    for dispatch_id in ids:
        cockpit.wait(dispatch_id, timeout=60)


def store_matches_a_rebuild(cockpit, context: str) -> None:  # type: ignore[no-untyped-def]
    """The live store (folded receipt by receipt, through crashes) equals one rebuilt from the ledger.
    Gates may still be writing receipts, so the two are compared until they agree or time runs out."""
    deadline = time.monotonic() + 60
    while (live := live_rows(cockpit.ws)) != (rebuilt := rebuilt_rows(cockpit.ws.state.root)):
        if time.monotonic() > deadline:
            assert live == rebuilt, context
        time.sleep(0.2)


@pytest.mark.slow
def test_supervisor_workers_and_appenders_killed_at_random_moments(cockpit, monkeypatch) -> None:
    monkeypatch.setenv("COCKPIT_MAX_WORKERS", "3")  # some dispatches stay queued across the crash
    rng = random.Random(SEED)
    state = cockpit.ws.state.root
    acks = state.parent / "crash-acks"
    cockpit.run("status", check=True)  # starts the supervisor
    for round_ in range(ROUNDS):
        context = f"seed {SEED} round {round_}"
        appender = spawn_appender(state, acks, f"outside-{round_}")
        wait_for_acks(acks, len(acknowledged(acks)), [appender])
        ids = [
            cockpit.call("dispatch", prompt=rng.choice(PROMPTS), task={"risk": "low"}, actor="crash-test")["id"]
            for _ in range(rng.randint(2, 5))
        ]
        time.sleep(rng.uniform(0.0, 1.2))
        pid = int(cockpit.call("ping")["pid"])
        cockpit.client.close()
        victims = [pid, appender.pid]
        panes = [p.pid for p in cockpit.tmux().list_panes() if p.pid and not p.dead]
        if panes and rng.random() < 0.6:
            victims.append(rng.choice(panes))
        for victim in rng.sample(victims, len(victims)):
            sigkill(victim)
            time.sleep(rng.uniform(0, 0.05))
        appender.wait()
        wait_gone(pid)
        before = committed_prefix(state)
        was_live = live_dispatches(cockpit)

        cockpit.run("status", check=True)  # a new supervisor: recovery runs first
        check_ledger_after_crash(state, acks, before, context)
        started = [r for r in cockpit.receipts() if r.kind == "supervisor_started"][-1]
        settled = started.data["adopted"] + started.data["exited_while_down"] + started.data["lost"]
        assert settled == len(was_live), f"{context}: {started.data} for {len(was_live)} live: {was_live}"
        now_live = live_dispatches(cockpit)
        present = sessions(cockpit, running_only=False)  # a dead pane waits for the supervisor to settle it
        assert set(now_live) <= present, f"{context}: live in the store without a session: {set(now_live) - present}"
        # No agent may run unsupervised. A start the new supervisor has under way may show a
        # session briefly before its receipt, so look again for a while.
        deadline = time.monotonic() + 30
        while True:
            orphans = sessions(cockpit, running_only=True) - set(live_dispatches(cockpit))
            if not orphans or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert not orphans, f"{context}: tmux sessions nobody supervises: {orphans}"

        settle_round(cockpit, ids)
        assert cockpit.run("receipts", "verify").returncode == 0, context
        store_matches_a_rebuild(cockpit, context)
    cockpit.stop()  # quiescent: the live store must equal a rebuild from the ledger
    assert live_rows(cockpit.ws) == rebuilt_rows(cockpit.ws.state.root)
