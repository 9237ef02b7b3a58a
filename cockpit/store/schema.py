"""Tables of the projection. Changing them bumps SCHEMA_VERSION: the store is then rebuilt
from the ledger on open, so there are never migrations to write."""

SCHEMA_VERSION = 6

PROJECTION_TABLES = ("dispatches", "notes", "gate_results", "approvals")

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE dispatches (
    id TEXT PRIMARY KEY,
    created_seq INTEGER NOT NULL,
    created_ts TEXT NOT NULL,
    updated_ts TEXT NOT NULL,
    title TEXT NOT NULL,
    prompt_sha256 TEXT NOT NULL,
    prompt_bytes INTEGER NOT NULL,
    provider TEXT NOT NULL,
    mode TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    timeout_s INTEGER,
    base_ref TEXT NOT NULL,
    base_commit TEXT,
    branch TEXT NOT NULL,
    worktree TEXT NOT NULL,
    target TEXT,
    risk TEXT NOT NULL DEFAULT 'medium',
    task TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'queued',
    exit_code INTEGER,
    started_ts TEXT,
    prompt_delivered_ts TEXT,
    ended_ts TEXT,
    error TEXT,
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    cost_micro_usd INTEGER NOT NULL DEFAULT 0,
    review TEXT NOT NULL DEFAULT 'none',
    teardown TEXT,
    archive_ref TEXT,
    diff_added INTEGER NOT NULL DEFAULT 0,
    diff_removed INTEGER NOT NULL DEFAULT 0,
    diff_files INTEGER NOT NULL DEFAULT 0,
    quiet_since_ts TEXT,
    paused_from TEXT,
    paused_ts TEXT,
    paused_ms INTEGER NOT NULL DEFAULT 0,
    budget_exceeded TEXT,
    executor TEXT NOT NULL DEFAULT 'local'
);
CREATE INDEX dispatches_state ON dispatches (state, priority, created_seq);
CREATE TABLE notes (seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, actor TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE gate_results (
    dispatch TEXT NOT NULL,
    gate TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ts TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    base_commit TEXT,
    head_commit TEXT,
    diff_sha256 TEXT,
    tree TEXT,
    report TEXT,
    report_sha256 TEXT,
    command TEXT,
    exit_code INTEGER,
    summary TEXT NOT NULL DEFAULT '',
    findings TEXT NOT NULL DEFAULT '[]',
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    cost_micro_usd INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (dispatch, gate)
);
CREATE TABLE approvals (
    seq INTEGER PRIMARY KEY,
    dispatch TEXT NOT NULL,
    ts TEXT NOT NULL,
    decision TEXT NOT NULL,
    actor TEXT NOT NULL,
    diff_sha256 TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
);
"""
