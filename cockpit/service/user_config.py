"""The user's own settings: `~/.config/cockpit/config.yaml` (`$XDG_CONFIG_HOME/cockpit/`).

What belongs to the operator rather than a repository: where notifications go, and
whether an MCP client may queue work. A repository's `.cockpit/config.yaml` may also say
`mcp: {allow_dispatch: true}`; either one enables it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cockpit.errors import UsageError


class McpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow_dispatch: bool = False  # the MCP `dispatch_task` tool exists only when this is true


class NotifyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str | None = None  # run with `sh -c`, one JSON object per event on stdin
    desktop: bool = True  # notify-send, where it is installed
    terminal: bool = True  # OSC 9 / OSC 777 to every attached TUI
    min_interval_s: float = Field(default=2.0, ge=0, le=3600)  # per (kind, dispatch)
    max_per_minute: int = Field(default=30, ge=1, le=10_000)  # all events together
    timeout_s: float = Field(default=10.0, gt=0, le=600)  # the command is killed after this


class UserConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    mcp: McpConfig = Field(default_factory=McpConfig)


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "cockpit" / "config.yaml"


def load_user_config(env: Mapping[str, str] | None = None) -> UserConfig:
    """The settings, or defaults when there is no file; UsageError naming file and field."""
    path = user_config_path(env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return UserConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read it: {exc}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping of settings (notify:, mcp:)")
    try:
        return UserConfig(**data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise UsageError(f"{path}: {where}: {error['msg']}") from None
