"""Supervisor settings: `.cockpit/config.yaml` in the repository, then environment overrides."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cockpit.errors import UsageError


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


class RepoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supervisor: SupervisorConfig = Field(default_factory=SupervisorConfig)


def config_path(repo_root: Path) -> Path:
    return Path(repo_root) / ".cockpit" / "config.yaml"


def load_config(repo_root: Path) -> RepoConfig:
    path = config_path(repo_root)
    data = {}
    if path.exists():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise UsageError(f"{path}: cannot read it: {exc}") from None
    try:
        config = RepoConfig(**data) if isinstance(data, dict) else RepoConfig.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise UsageError(f"{path}: {where}: {error['msg']}") from None
    override = os.environ.get("COCKPIT_MAX_WORKERS")
    if override:
        try:
            config.supervisor.max_workers = max(1, int(override))
        except ValueError:
            raise UsageError(f"COCKPIT_MAX_WORKERS must be a whole number, got {override!r}") from None
    return config
