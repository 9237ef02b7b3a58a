"""What each request answers (`result` of a successful reply), one model per op.

Serialised with `exclude_unset`: a field a handler did not set is not on the wire, so
replies whose keys depend on the case (`teardown`'s `already`, `kill`'s `how`) keep the
shape clients and `--json` readers have always seen. Field lists: docs/cli-json.md.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from cockpit.domain.gates import GateState
from cockpit.protocol.views import DispatchView


class Reply(BaseModel):
    # A newer supervisor may add fields: an older client passes them through.
    model_config = ConfigDict(extra="allow")


class PingReply(Reply):
    pid: int
    version: str
    live: int
    socket: str | None = None
    tmux_socket: str | None = None


class ShutdownReply(Reply):
    stopping: bool
    live_workers_keep_running: int


class WaitReply(Reply):
    id: str
    reached: bool
    state: str
    until: str


class SendReply(Reply):
    id: str
    sent: bool
    answered: str | None = None  # set when the text answered a recognised prompt
    prompt: str | None = None
    keys: list[str] | None = None


class KillReply(Reply):
    id: str
    killed: bool
    how: str | None = None
    state: str | None = None  # when it was not running
    processes: list[dict[str, object]] | None = None
    survivors: list[int] | None = None


class TeardownReply(Reply):
    id: str
    already: bool | None = None
    classification: str | None = None
    archive_ref: str | None = None
    archive_commit: str | None = None
    ignored_not_archived: list[str] | None = None


class RestoreReply(Reply):
    id: str
    worktree: str
    branch: str
    head: str | None = None


class TeardownPreview(Reply):
    id: str
    already: bool | None = None
    classification: str
    commits_ahead: int | None = None
    changed: int | None = None
    untracked: int | None = None
    ignored: list[str] | None = None
    will_archive: bool | None = None
    archive_ref: str | None = None
    live: bool | None = None


class ScreenReply(Reply):
    id: str
    available: bool
    text: str


class DiffFile(Reply):
    path: str
    status: str  # A added, M modified, D deleted, T type changed
    added: int
    removed: int
    binary: bool


class DiffSummary(Reply):
    files: list[DiffFile] = []
    added: int = 0
    removed: int = 0
    sha256: str | None = None
    head: str | None = None
    base: str | None = None


class DiffReply(DiffSummary):
    id: str
    patch: str | None = None
    truncated: bool = False


class SkillInfo(Reply):
    name: str
    description: str
    problem: str | None  # why it cannot be used (the picker leaves it out)
    files: int
    version: str | None


class ProviderInfo(Reply):
    name: str
    found: bool
    modes: list[str]
    version: str | None = None
    default_mode: str | None = None
    default: bool = False  # the provider a dispatch gets when it names none


class HostCli(Reply):
    """A catalog CLI as a host's probe found it: `path` None when it is not on the host's PATH."""

    name: str
    binary: str
    path: str | None = None
    version: str | None = None


class HostInfo(Reply):
    """One SSH host: what hosts.yaml says and what its latest probe found (the fields of
    `cockpit hosts --json`), and when that probe was made."""

    name: str
    ssh: str
    reachable: bool
    usable: bool
    error: str | None = None  # ssh's own words when unreachable
    latency_ms: float | None = None
    tmux: str | None = None
    git: str | None = None
    providers: list[HostCli] = []
    free_disk_bytes: int | None = None
    running_workers: int | None = None  # live workers under its root, every repository's
    capacity: int = 1
    labels: list[str] = []
    problems: list[str] = []
    probed_ts: str  # when the probe answered (the reply may come from the short-lived cache)


class GatesReply(Reply):
    id: str
    started: bool
    already_running: bool | None = None
    gates: list[str]
    missing: list[str] | None = None


class ReviewGate(GateState):
    """One required gate's standing in a review."""

    model_config = ConfigDict(extra="allow")
    required: bool = True


class ReviewReply(Reply):
    id: str
    title: str | None = None
    state: str | None = None
    review: str | None = None
    target: str | None = None
    strategy: str | None = None
    can_approve: bool
    gates: list[ReviewGate]
    diff: DiffSummary
    blockers: list[str]
    will: str


class ApproveReply(Reply):
    id: str
    commit: str
    target: str
    strategy: str
    diff_sha256: str | None = None
    worktree_synced: bool | None = None


class RejectReply(Reply):
    id: str
    rejected: bool
    sent_back: bool


class ReplayedGate(Reply):
    gate: str
    kind: str
    before: str
    after: str
    same: bool
    head: str | None = None  # the recorded head and tree it re-ran on
    tree: str | None = None
    exit_before: int | None = None
    exit_after: int | None = None
    summary_before: str | None = None
    summary_after: str | None = None


class ReplayReply(Reply):
    id: str
    same: bool
    report: str
    not_replayed: list[str]
    gates: list[ReplayedGate]


class PermissionDecision(Reply):
    request: str | None
    decision: str | None
    reason: str
    by: str | None = None  # who decided: `policy <rule>`, the operator, `supervisor`


class PendingPermission(Reply):
    request: str
    dispatch: str
    tool: str
    command: str | None = None
    path: str | None = None
    age_s: float
    source: str = "hook"  # "screen": the CLI's own dialog waits (gemini)


class RoundReply(Reply):
    """`continue` and `comments_send`: how the text reached the agent, and which round it is."""

    id: str
    how: str  # typed into the running agent | a new run
    round: int
    resumed_session: str | None = None


class CommentsSendReply(RoundReply):
    comments: list[str]  # the ids of the comments sent


class CommentReply(Reply):
    """One review comment on a line or range of the diff (the fields `cockpit comments` lists)."""

    id: str  # the dispatch
    comment: str  # the comment's id
    line_start: int | None = None  # lines of the new version
    line_end: int | None = None
    text: str | None = None
    hunk: str | None = None  # the diff hunk it was made on
    diff_sha256: str | None = None
    file: str


class ListedComment(Reply):
    """One review comment as `comments` lists it: where it was made, where its lines are in
    the diff now (moved with its hunk), and its state (open, sent, resolved)."""

    comment: str  # its id (c1, c2, ...)
    file: str
    line_start: int
    line_end: int
    text: str
    hunk: str
    diff_sha256: str | None = None
    actor: str
    ts: str
    seq: int
    sent: bool
    resolved: bool
    line_start_now: int
    line_end_now: int


class CommentsReply(Reply):
    id: str
    comments: list[ListedComment]


class ControlDone(Reply):
    id: str
    how: str | None = None  # which processes were stopped or continued
    already: bool | None = None  # `pause` of a worker that was paused already


class ControlFailed(Reply):
    id: str
    error: str


class Paused(ControlDone):
    """A worker `pause` stopped (or found already paused)."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    paused: bool
    state: str | None = None  # with `already`
    from_: str | None = Field(default=None, alias="from")  # the state it was paused in


class Resumed(ControlDone):
    resumed: bool
    to: str  # the state it goes on in
    paused_ms: int  # how long it was paused


class ControlReply(Reply):
    """`pause` and `resume`: each worker done (with how), and each that could not be."""

    done: list[SerializeAsAny[ControlDone]]  # Paused or Resumed, with all their fields
    failed: list[ControlFailed]


REPLIES: dict[str, type[BaseModel]] = {
    "continue": RoundReply,
    "comments_send": CommentsSendReply,
    "comment": CommentReply,
    "comments": CommentsReply,
    "pause": ControlReply,
    "resume": ControlReply,
    "ping": PingReply,
    "shutdown": ShutdownReply,
    "dispatch": DispatchView,
    "status": DispatchView,  # a list of them
    "show": DispatchView,
    "wait": WaitReply,
    "send": SendReply,
    "kill": KillReply,
    "teardown": TeardownReply,
    "restore": RestoreReply,
    "preview_teardown": TeardownPreview,
    "screen": ScreenReply,
    "diff": DiffReply,
    "providers": ProviderInfo,  # a list of them
    "skills": SkillInfo,  # a list of them
    "hosts": HostInfo,  # a list of them
    "gates": GatesReply,
    "review": ReviewReply,
    "approve": ApproveReply,
    "reject": RejectReply,
    "replay": ReplayReply,
    "permission_request": PermissionDecision,
    "permissions": PendingPermission,  # a list of them
    "permission_decide": PermissionDecision,
}
LIST_REPLIES = frozenset({"status", "providers", "permissions", "skills", "hosts"})


def check_reply(op: str, result: Any) -> Any:
    """A handler's answer as the op's reply model (a dict is checked against it; a model
    passes as it is). An op without a reply model here answers as it was given."""
    model = REPLIES.get(op)
    if model is None:
        return result

    def one(item: Any) -> Any:
        return item if isinstance(item, model) else model.model_validate(item)

    return [one(item) for item in result] if op in LIST_REPLIES else one(result)
