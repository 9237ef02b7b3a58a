"""The `data` of receipts the service builds in parts: one TypedDict per kind (or shared part),
or a model where the service also reads the receipt back.

A receipt's data is canonical JSON (cockpit/domain/receipt.py); these say which fields a
kind carries where the service assembles them piece by piece, so a misspelt or mistyped
field is a type error, not a silent change to the ledger. The fields are documented in
docs/receipts.md; receipts recorded in one call (`ctx.record(kind, id, a=..., b=...)`) need
no declaration here.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from pydantic import BaseModel, ConfigDict

from cockpit.runtime.executor import TreeKill

# The processes of a worker's tree, as `killed`, `timed_out`, `paused` and `resumed` list them
# (pid, comm, and for a kill ended_by): the type cockpit/runtime/proctree.py gives them.
ProcessList = list[dict[str, object]]


class RecoveryCounts(TypedDict):
    """What a starting supervisor's recovery found, in its `supervisor_started` receipt."""

    adopted: int
    exited_while_down: int
    lost: int
    adopted_unrecorded: int
    unreachable: NotRequired[int]  # workers whose SSH host did not answer


class UsageData(TypedDict):
    """`usage`: the worker's totals so far."""

    input_tokens: int
    output_tokens: int
    cost_micro_usd: int
    is_error: NotRequired[bool]  # from a headless run's result
    source: NotRequired[str]  # `transcript` or `event` for interactive usage


class TreeKillData(TypedDict, total=False):
    """What ending a worker's process tree did: the fields of `killed`, also in `timed_out`
    (all four, or none when the tree could not be ended), and the error the worker last said."""

    processes: ProcessList
    grace_ms: int
    how: str
    survivors: list[int]
    error: str


def tree_kill_data(ended: TreeKill) -> TreeKillData:
    return TreeKillData(
        processes=ended.processes(),
        grace_ms=int(ended.grace_s * 1000),
        how=ended.sentence(),
        survivors=[p.pid for p in ended.survivors],
    )


class ExitedData(TypedDict):
    """`exited`: how the worker's CLI ended."""

    code: int | None
    signal: NotRequired[int]  # killed by a signal: `code` is then 128 + signal
    while_supervisor_was_down: NotRequired[bool]
    error: NotRequired[str]  # the CLI's last error line


# `paused`: `from` is a Python keyword, hence the functional form.
PausedData = TypedDict(
    "PausedData",
    {"from": str, "processes": ProcessList, "how": str, "reason": NotRequired[str]},
)


class StateChangeData(TypedDict):
    """What a CLI's signal adds to the `status_changed` it causes (besides `source`)."""

    event: str
    question: NotRequired[str]  # what a waiting worker is asked


class ReviewCommentData(BaseModel):
    """`review_comment`: one comment on a line or range of a dispatch's diff. A model, not a
    TypedDict: the review loop reads it back from the ledger, checked."""

    model_config = ConfigDict(frozen=True)

    comment: str  # c1, c2, ...
    file: str
    line_start: int  # lines of the new version
    line_end: int
    text: str
    hunk: str  # the diff hunk it was made on
    diff_sha256: str


class TextDigest(TypedDict):
    """The text a round gives the agent (`sent_back`, `continued`, `comments_sent`), by its hash."""

    sha256: str
    bytes: int


class RoundSession(TypedDict, total=False):
    """A new run's session: the CLI session it goes on with, or why it starts a fresh one."""

    resumed_session: str | None
    fresh_session: str
