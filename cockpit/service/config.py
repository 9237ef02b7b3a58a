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


class RepoMcpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow_dispatch: bool = False  # `cockpit mcp` offers its writing tool (queue a task) only when true


class RepoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supervisor: SupervisorConfig = Field(default_factory=SupervisorConfig)
    mcp: RepoMcpConfig = Field(default_factory=RepoMcpConfig)
    # Seconds a permission request waits for a decision before it is denied.
    permission_timeout_s: float = Field(default=300.0, gt=0, le=86_400)


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
