"""Load: 100 dispatches queued at once under a cap of 8.

All of them complete; the cap is never exceeded (the maximum concurrency is derived
from the receipts: each worker counts from `worker_started` to its end); priority
order holds; and every dispatch has its complete trail of receipts.
"""

from __future__ import annotations

import os
import random
import time

import pytest

CAP = 8
COUNT = 100
SEED = int(os.environ.get("COCKPIT_LOAD_SEED", "20261121"))
ENDS = {"exited", "killed", "lost", "timed_out"}
TRAIL = [
    "dispatch_created",
    "worktree_created",
    "worker_started",
    "prompt_delivered",
    "exited",
    "review_changed",
    "gate_started",
    "gate_result",
    "review_changed",
]


def max_concurrency(receipts: list) -> int:  # type: ignore[type-arg]
    running: set[str] = set()
    peak = 0
    for r in receipts:  # in seq order: the ledger is the one clock every process shares
        if r.kind == "worker_started":
            running.add(r.dispatch)
            peak = max(peak, len(running))
        elif r.kind in ENDS:
            running.discard(r.dispatch)
    return peak


def is_subsequence(wanted: list[str], kinds: list[str]) -> bool:
    it = iter(kinds)
    return all(kind in it for kind in wanted)


@pytest.mark.slow
def test_a_hundred_dispatches_under_a_cap_of_eight(cockpit, monkeypatch) -> None:
    monkeypatch.setenv("COCKPIT_MAX_WORKERS", str(CAP))  # read by the supervisor the first command starts
    rng = random.Random(SEED)
    # Fill every slot first, so all hundred are queued together before any of them can start.
    blockers = [cockpit.dispatch("@fake hang", "--risk", "low") for _ in range(CAP)]
    for dispatch_id in blockers:
        cockpit.wait(dispatch_id, until="working")
    priority: dict[str, int] = {}
    for i in range(COUNT):
        level = rng.randint(-3, 3)
        # Each job changes a file, so its gates run (an empty diff would be `no_changes`, no gates).
        prompt = f"@fake sleep 0.{rng.randint(1, 5)}\n@fake write job-{i}.txt job {i}\n@fake say job {i}"
        if i < 5:  # a few through the CLI flag, the rest through the socket (what the TUI sends)
            dispatch_id = cockpit.dispatch(prompt, "--priority", str(level), "--risk", "low")
        else:
            dispatch_id = cockpit.call("dispatch", prompt=prompt, priority=level, task={"risk": "low"}, actor="load")["id"]
        priority[dispatch_id] = level
    assert {cockpit.show(i)["state"] for i in priority} == {"queued"}
    for dispatch_id in blockers:
        cockpit.run("kill", dispatch_id, check=True)

    deadline = time.monotonic() + 300
    for dispatch_id in priority:
        cockpit.wait(dispatch_id, timeout=max(1, deadline - time.monotonic()))
        while cockpit.show(dispatch_id)["review"] in ("none", "gating"):
            assert time.monotonic() < deadline, f"the gates of {dispatch_id} never settled"
            time.sleep(0.05)

    receipts = cockpit.receipts()
    views = {i: cockpit.show(i) for i in priority}
    assert all((v["state"], v["exit_code"]) == ("exited", 0) for v in views.values()), views
    assert max_concurrency(receipts) == CAP  # reached, never exceeded

    created = {r.dispatch: r.seq for r in receipts if r.kind == "dispatch_created"}
    started = {r.dispatch: r.seq for r in receipts if r.kind == "worker_started" and r.dispatch in priority}
    key = {i: (priority[i], -created[i]) for i in priority}  # higher priority first, then first come
    for b in priority:
        # When b was picked, every dispatch ahead of it had been picked too; at most CAP - 1 of
        # those can still be starting (they hold slots) when b's own start is recorded.
        overtaken = [a for a in priority if key[a] > key[b] and started[a] > started[b]]
        assert len(overtaken) <= CAP - 1, (b, key[b], [key[a] for a in overtaken])

    for dispatch_id in priority:
        kinds = [r.kind for r in receipts if r.dispatch == dispatch_id]
        assert is_subsequence(TRAIL, kinds), (dispatch_id, kinds)
        assert kinds.count("worker_started") == 1 and kinds.count("exited") == 1
    assert cockpit.run("receipts", "verify").returncode == 0
