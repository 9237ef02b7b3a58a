"""Supervisor settings: `.cockpit/config.yaml` in the repository, then environment overrides."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from cockpit.domain.budget import DailyBudget
from cockpit.errors import UsageError
from cockpit.runtime.yaml_lines import load_model_file

SHAPE = "the settings file must be a mapping (supervisor:)"


class SupervisorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_workers: int = Field(default=4, ge=1, le=256)
    per_provider: dict[str, int] = Field(default_factory=dict)
    gate_concurrency: int = Field(default=2, ge=1, le=64)
    terminal_width: int = Field(default=200, ge=40, le=1000)
    terminal_height: int = Field(default=50, ge=10, le=500)
    # `cockpit kill` and timeouts: SIGTERM the worker's process tree, SIGKILL what is left after this.
    kill_grace_s: float = Field(default=5.0, ge=0, le=300)
    # A working worker with no output and no signal for this long shows "no output for N s" (0: never).
    quiet_after_s: int = Field(default=60, ge=0, le=7 * 24 * 3600)
    # Headless runs with no --timeout / max_run_seconds stop after this long (0: no default timeout);
    # a provider's `headless.timeout_s` in the catalog takes precedence.
    headless_timeout_s: int = Field(default=1800, ge=0, le=7 * 24 * 3600)
    # Whether a paused worker's slot counts as free for the queue (`cockpit pause`). Off by
    # default: a resume then never runs more workers than max_workers at once.
    pause_frees_slot: bool = False


class CheckpointConfig(BaseModel):
    """Signed checkpoints the supervisor writes by itself (docs/receipts.md, Anchors)."""

    model_config = ConfigDict(extra="forbid")

    dir: Path  # keep it outside the state directory, ideally somewhere others hold too
    every_s: int = Field(default=3600, ge=1)
    key: Path | None = None  # default: the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa


class RepoMcpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow_dispatch: bool = False  # `cockpit mcp` offers its writing tool (queue a task) only when true


class BudgetsConfig(BaseModel):
    """Per-provider daily budgets: a provider whose dispatches created today (UTC) spent this
    much gets no new dispatch until tomorrow (`cockpit dispatch` refuses with exit 1)."""

    model_config = ConfigDict(extra="forbid")

    daily: dict[str, DailyBudget] = Field(default_factory=dict)


class RepoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supervisor: SupervisorConfig = Field(default_factory=SupervisorConfig)
    checkpoints: CheckpointConfig | None = None
    mcp: RepoMcpConfig = Field(default_factory=RepoMcpConfig)
    budgets: BudgetsConfig = Field(default_factory=BudgetsConfig)
    # Seconds a permission request waits for a decision before it is denied.
    permission_timeout_s: float = Field(default=300.0, gt=0, le=86_400)


def config_path(repo_root: Path) -> Path:
    return Path(repo_root) / ".cockpit" / "config.yaml"


def load_config(repo_root: Path) -> RepoConfig:
    path = config_path(repo_root)
    config = RepoConfig()
    if path.exists():  # errors name file:line: field: problem, like the gate and provider files
        loaded = load_model_file(path, RepoConfig, shape=SHAPE, docs="docs/architecture.md")
        assert isinstance(loaded, RepoConfig)
        config = loaded
    override = os.environ.get("COCKPIT_MAX_WORKERS")
    if override:
        try:
            config.supervisor.max_workers = max(1, int(override))
        except ValueError:
            raise UsageError(f"COCKPIT_MAX_WORKERS must be a whole number, got {override!r}") from None
    return config
