"""A dispatch: one task given to one agent CLI in its own worktree, and its life cycle.

Two independent dimensions:
  * `state`: what the worker process is doing (queued ... exited/lost);
  * `review`: where its result stands on the way to the target branch.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

ID_RE = re.compile(r"^[0-9a-z]{10}$")
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case: sorts like time


class WorkerState(StrEnum):
    QUEUED = "queued"
    STARTING = "starting"
    WORKING = "working"
    WAITING = "waiting"
    IDLE = "idle"
    PAUSED = "paused"  # the operator (or a budget) stopped its process tree; `resume` continues it
    UNREACHABLE = "unreachable"  # on an SSH host that does not answer: it may well be working there
    EXITED = "exited"
    TIMED_OUT = "timed_out"
    KILLED = "killed"
    LOST = "lost"


class ReviewState(StrEnum):
    NONE = "none"
    GATING = "gating"
    CHANGES_REQUESTED = "changes_requested"
    AWAITING_APPROVAL = "awaiting_approval"
    NO_CHANGES = "no_changes"  # the worker changed nothing: no gates ran, nothing to promote
    STALE = "stale"  # the worktree changed after its gates judged it: run them again
    PROMOTED = "promoted"
    REJECTED = "rejected"


# A paused worker is live: its processes exist (stopped), it keeps its worktree and session, and
# its exit, loss or kill is watched and recorded like any other worker's. So is an unreachable
# one (on an SSH host that does not answer): it may well be working there.
RUNNING_STATES = frozenset({WorkerState.STARTING, WorkerState.WORKING, WorkerState.WAITING, WorkerState.IDLE})
LIVE_STATES = RUNNING_STATES | {WorkerState.PAUSED, WorkerState.UNREACHABLE}
FINAL_STATES = frozenset({WorkerState.EXITED, WorkerState.TIMED_OUT, WorkerState.KILLED, WorkerState.LOST})

_TRANSITIONS: dict[WorkerState, frozenset[WorkerState]] = {
    WorkerState.QUEUED: frozenset({WorkerState.STARTING, WorkerState.KILLED, WorkerState.LOST}),
    WorkerState.STARTING: frozenset(LIVE_STATES | FINAL_STATES) - {WorkerState.STARTING},
    WorkerState.WORKING: frozenset(LIVE_STATES | FINAL_STATES) - {WorkerState.STARTING, WorkerState.WORKING},
    WorkerState.WAITING: frozenset(LIVE_STATES | FINAL_STATES) - {WorkerState.STARTING, WorkerState.WAITING},
    WorkerState.IDLE: frozenset(LIVE_STATES | FINAL_STATES) - {WorkerState.STARTING, WorkerState.IDLE},
    # Only a `resumed` receipt leaves `paused` for a running state (see resume_state): what a
    # screen or a hook seems to show meanwhile is no change of state. It can still end.
    WorkerState.PAUSED: FINAL_STATES,
    WorkerState.UNREACHABLE: frozenset(LIVE_STATES | FINAL_STATES)
    - {WorkerState.STARTING, WorkerState.UNREACHABLE, WorkerState.PAUSED},
    WorkerState.EXITED: frozenset(),
    WorkerState.TIMED_OUT: frozenset(),
    WorkerState.KILLED: frozenset(),
    WorkerState.LOST: frozenset(),
}


# The `source` of the status changes the SSH link itself saw (a host going silent, or answering again).
LINK_SOURCE = "link"


def can_transition(current: WorkerState, new: WorkerState) -> bool:
    return new in _TRANSITIONS[current]


def may_change_state(current: WorkerState, new: WorkerState, source: str) -> bool:
    """Whether a status change that `source` saw is one to record. Out of `unreachable`, only
    the link's own receipt leads back to a running state: no screen is read and no hook
    arrives while the host is silent, so a screen or hook that comes first raced the link's
    recovery, and the way back belongs to the link (its receipt says how long the host was
    away and how often it was tried). What the screen shows is read right after that."""
    if current == new or not can_transition(current, new):
        return False
    return not (current == WorkerState.UNREACHABLE and new in RUNNING_STATES and source != LINK_SOURCE)


def can_pause(state: str) -> bool:
    """Only a running worker can be paused: not a queued one (it has no processes) nor an ended one."""
    return state in RUNNING_STATES


def resume_state(paused_from: str | None) -> WorkerState:
    """The state a resumed worker returns to: the one it was paused in (working when unknown)."""
    try:
        state = WorkerState(paused_from or WorkerState.WORKING)
    except ValueError:
        return WorkerState.WORKING
    return state if state in RUNNING_STATES else WorkerState.WORKING


def is_live(state: str) -> bool:
    return state in LIVE_STATES


def is_final(state: str) -> bool:
    return state in FINAL_STATES


def make_id(millis: int, entropy: int) -> str:
    """A 10-character id: 8 base32 digits of milliseconds since 2025-01-01, then 2 of entropy.

    Ids made later sort later (the supervisor keeps `millis` strictly increasing).
    """
    epoch_2025 = 1_735_689_600_000
    value = ((millis - epoch_2025) % (1 << 40)) << 10 | (entropy % 1024)
    out = []
    for _ in range(10):
        out.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def title_of(prompt: str, limit: int = 72) -> str:
    """The first non-empty line of a prompt, shortened for lists."""
    for line in prompt.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return "(empty prompt)"


class Dispatch(BaseModel):
    """The store's current view of one dispatch."""

    model_config = ConfigDict(frozen=True)

    id: str
    created_seq: int
    created_ts: str
    updated_ts: str
    title: str
    prompt_sha256: str
    prompt_bytes: int
    provider: str
    mode: str
    priority: int = 0
    timeout_s: int | None = None
    base_ref: str
    base_commit: str | None = None
    branch: str
    worktree: str
    target: str | None = None
    risk: str = "medium"
    task: str = "{}"  # the task packet as canonical JSON
    state: WorkerState = WorkerState.QUEUED
    exit_code: int | None = None
    started_ts: str | None = None
    prompt_delivered_ts: str | None = None
    ended_ts: str | None = None
    error: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_micro_usd: int = 0
    review: ReviewState = ReviewState.NONE
    teardown: str | None = None
    archive_ref: str | None = None
    diff_added: int = 0
    diff_removed: int = 0
    diff_files: int = 0
    quiet_since_ts: str | None = None  # a working worker's last output, once it has been silent too long
    paused_from: str | None = None  # while paused: the state it was paused in
    paused_ts: str | None = None  # when it was last paused (its run's clock stops there)
    paused_ms: int = 0  # how long its current run was paused before, in total
    budget_exceeded: str | None = None  # the budget it ran over ("tokens" or "cost"), once it did
    executor: str = "local"  # where it runs: "local", or "ssh:<host>" (docs/hosts.md)

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES
