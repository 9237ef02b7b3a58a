"""What clients are told about a dispatch: the store's row plus derived facts (the `status`,
`show` and `dispatch` replies, and the `dispatch` event). Documented in docs/cli-json.md."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class GateResultRow(BaseModel):
    """One gate's latest result for a dispatch, as the store holds it."""

    # A newer supervisor may store more columns: passed through, not refused.
    model_config = ConfigDict(extra="allow")

    dispatch: str
    gate: str
    seq: int
    ts: str
    kind: str
    status: str
    base_commit: str | None = None
    head_commit: str | None = None
    diff_sha256: str | None = None
    tree: str | None = None
    report: str | None = None
    report_sha256: str | None = None
    command: str | None = None
    exit_code: int | None = None
    summary: str = ""
    findings: str = "[]"  # JSON text, as recorded
    tokens_in: int = 0
    tokens_out: int = 0
    cost_micro_usd: int = 0
    duration_ms: int = 0


class DispatchView(BaseModel):
    """One dispatch as the supervisor shows it. Serialised with `exclude_unset`, so a field the
    supervisor did not fill (`log`, `gates`, `as_of_seq` outside the supervisor) stays absent."""

    # A newer supervisor's new columns pass through to older clients (and their --json).
    model_config = ConfigDict(extra="allow")

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
    # The task packet as the dispatch recorded it (domain.task.TaskPacket.public()): its own
    # schema, checked where it is built; here it is carried, not interpreted.
    task: dict[str, object]
    state: str
    exit_code: int | None = None
    started_ts: str | None = None
    prompt_delivered_ts: str | None = None
    ended_ts: str | None = None
    error: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_micro_usd: int = 0
    review: str
    teardown: str | None = None
    archive_ref: str | None = None
    diff_added: int = 0
    diff_removed: int = 0
    diff_files: int = 0
    quiet_since_ts: str | None = None
    paused_from: str | None = None
    paused_ts: str | None = None
    paused_ms: int = 0
    budget_exceeded: str | None = None
    executor: str = "local"
    # derived
    elapsed_s: float | None = None
    cost_usd: str
    tokens: int
    live: bool
    quiet_s: int | None = None
    state_detail: str | None = None
    log: str | None = None
    gates: list[GateResultRow] | None = None
    as_of_seq: int | None = None  # the ledger position the view is true at
