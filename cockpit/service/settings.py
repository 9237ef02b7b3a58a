"""Every setting cockpit reads, in one model, read one way.

Three files and the environment, each with its own meaning (docs/architecture.md, "Settings"):

- `.cockpit/config.yaml` in the repository (`RepoConfig`): the supervisor's settings;
- `~/.config/cockpit/config.yaml` (`UserConfig`): what belongs to the operator, not a repository;
- `~/.config/cockpit/ui.json` (`UiPreferences`): what the TUI remembers (it writes this file);
- environment overrides (`ENV_OVERRIDES`), applied over the repository's settings.

Each file is read by `runtime/yaml_lines.load_model_file`, so every problem is one line,
`file:line: field: message` (exit 2). The UI preferences are only preferences: a broken
file counts as none, and its problem is told, never fatal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cockpit.errors import UsageError
from cockpit.runtime.yaml_lines import load_model_file

ARCHITECTURE_DOC = "docs/architecture.md"

# -- .cockpit/config.yaml ------------------------------------------------------------------


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


class CheckpointConfig(BaseModel):
    """Signed checkpoints the supervisor writes by itself (docs/receipts.md, Anchors)."""

    model_config = ConfigDict(extra="forbid")

    dir: Path  # keep it outside the state directory, ideally somewhere others hold too
    every_s: int = Field(default=3600, ge=1)
    key: Path | None = None  # default: the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa


class McpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allow_dispatch: bool = False  # `cockpit mcp` offers its writing tool (queue a task) only when true


class RepoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supervisor: SupervisorConfig = Field(default_factory=SupervisorConfig)
    checkpoints: CheckpointConfig | None = None
    mcp: McpConfig = Field(default_factory=McpConfig)
    # Seconds a permission request waits for a decision before it is denied.
    permission_timeout_s: float = Field(default=300.0, gt=0, le=86_400)
    # The agent a dispatch gets when neither `--provider` nor the task packet names one.
    default_provider: str = Field(default="fake", min_length=1)


# -- ~/.config/cockpit/config.yaml ---------------------------------------------------------


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
    mcp: McpConfig = Field(default_factory=McpConfig)  # either this or the repository's enables it


# -- ~/.config/cockpit/ui.json ---------------------------------------------------------------


class UiPreferences(BaseModel):
    # A newer cockpit may remember more: keys this one does not know are ignored, not an error.
    model_config = ConfigDict(extra="ignore")

    theme: str | None = None  # the theme last picked (ctrl+p, Theme, or `cockpit ui --theme`)


# -- all of them ------------------------------------------------------------------------------


class Settings(BaseModel):
    repo: RepoConfig = Field(default_factory=RepoConfig)
    user: UserConfig = Field(default_factory=UserConfig)
    ui: UiPreferences = Field(default_factory=UiPreferences)

    @property
    def mcp_allow_dispatch(self) -> bool:
        return self.repo.mcp.allow_dispatch or self.user.mcp.allow_dispatch


@dataclass(frozen=True)
class EnvOverride:
    variable: str
    setting: tuple[str, ...]  # the field of RepoConfig it replaces
    parse: Callable[[str], Any]  # raises ValueError (its message says what is wanted)
    meaning: str


def _whole_number_at_least_1(text: str) -> int:
    try:
        return max(1, int(text))
    except ValueError:
        raise ValueError(f"must be a whole number, got {text!r}") from None


# Every environment variable that overrides a setting (docs/architecture.md lists them).
ENV_OVERRIDES: tuple[EnvOverride, ...] = (
    EnvOverride(
        "COCKPIT_MAX_WORKERS",
        ("supervisor", "max_workers"),
        _whole_number_at_least_1,
        "workers running at once (a number below 1 counts as 1)",
    ),
)


def apply_env_overrides(config: RepoConfig, env: Mapping[str, str]) -> RepoConfig:
    """The settings with every override the environment sets; UsageError `$VAR: field: problem`."""
    for override in ENV_OVERRIDES:
        raw = env.get(override.variable)
        if not raw:
            continue
        field = ".".join(override.setting)
        try:
            value = override.parse(raw)
        except ValueError as exc:
            raise UsageError(f"${override.variable}: {field}: {exc}") from None
        *parents, last = override.setting
        owner: Any = config
        for name in parents:
            owner = getattr(owner, name)
        setattr(owner, last, value)
    return config


# -- where, and loading -------------------------------------------------------------------------


def config_path(repo_root: Path) -> Path:
    return Path(repo_root) / ".cockpit" / "config.yaml"


def user_config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "cockpit"


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    return user_config_dir(env) / "config.yaml"


def ui_preferences_path(env: Mapping[str, str] | None = None) -> Path:
    return user_config_dir(env) / "ui.json"


def load_config(repo_root: Path, env: Mapping[str, str] | None = None) -> RepoConfig:
    """`.cockpit/config.yaml` (defaults without one), then the environment's overrides."""
    path = config_path(repo_root)
    config = RepoConfig()
    if path.exists():
        config = load_model_file(
            path, RepoConfig, shape="the settings file must be a mapping (supervisor:)", docs=ARCHITECTURE_DOC
        ).value
    return apply_env_overrides(config, os.environ if env is None else env)


def load_user_config(env: Mapping[str, str] | None = None) -> UserConfig:
    path = user_config_path(env)
    if not path.exists():
        return UserConfig()
    return load_model_file(
        path, UserConfig, shape="the user's settings must be a mapping (notify:, mcp:)", docs=ARCHITECTURE_DOC
    ).value


def load_ui_preferences(env: Mapping[str, str] | None = None) -> tuple[UiPreferences, str | None]:
    """(the remembered preferences, the one-line problem with the file or None). Never raises:
    a broken file counts as none, since it only holds preferences."""
    path = ui_preferences_path(env)
    if not path.exists():
        return UiPreferences(), None
    try:
        return load_model_file(
            path, UiPreferences, shape="the UI preferences must be a mapping (theme:)", docs="docs/tui.md"
        ).value, None
    except UsageError as exc:
        return UiPreferences(), f"{exc.message}; the preferences are not used (cockpit writes the file again when one changes)"


def save_ui_preferences(env: Mapping[str, str] | None = None, **changes: Any) -> UiPreferences:
    """Merge `changes` into the remembered preferences and write them atomically (JSON, which YAML
    reads too). Failing to save is not fatal: a preference is only a convenience."""
    current, _ = load_ui_preferences(env)
    try:
        prefs = UiPreferences.model_validate({**current.model_dump(exclude_none=True), **changes})
    except ValidationError as exc:
        raise UsageError(f"UI preference: {exc.errors()[0]['msg']}") from None
    path = ui_preferences_path(env)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(prefs.model_dump(exclude_none=True), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
    return prefs


def load_settings(repo_root: Path | None, env: Mapping[str, str] | None = None) -> Settings:
    """All of them: the repository's (when there is one), the user's, the UI's preferences."""
    repo = load_config(repo_root, env) if repo_root is not None else apply_env_overrides(RepoConfig(), env or os.environ)
    return Settings(repo=repo, user=load_user_config(env), ui=load_ui_preferences(env)[0])
