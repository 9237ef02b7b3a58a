"""What the TUI needs from below that is not a supervisor request: attaching a terminal to a
worker, the theme files, and the few remembered UI settings. The UI itself runs no
process and reads no file; it calls these."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from cockpit.errors import UsageError

# Imported now, not when first attaching: libtmux reads sys.stdout.encoding at import time,
# which fails once Textual has replaced sys.stdout.
from cockpit.service.logs import attach_command
from cockpit.service.settings import (
    UiPreferences,
    load_ui_preferences,
    save_ui_preferences,
    ui_preferences_path,
    user_config_dir,
)
from cockpit.service.workspace import Workspace

THEME_SUFFIXES = (".yaml", ".yml")


# -- attaching --------------------------------------------------------------------------


def attach_blocking(ws: Workspace, dispatch_id: str) -> int:
    """Attach this terminal to the worker's tmux session until the operator detaches.

    Raises UsageError (before touching the terminal) when there is no session; returns
    tmux's exit code otherwise. The caller suspends its own screen around this call.
    """
    argv, env = attach_command(ws, dispatch_id)
    return subprocess.call(argv, env={**os.environ, **env})


def can_attach(ws: Workspace, dispatch_id: str) -> None:
    """Raise UsageError, saying why, when the worker has no tmux session to attach to."""
    attach_command(ws, dispatch_id)


# -- settings ---------------------------------------------------------------------------


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    return user_config_dir(env)


def settings_path(env: Mapping[str, str] | None = None) -> Path:
    return ui_preferences_path(env)


def load_ui_settings(env: Mapping[str, str] | None = None) -> tuple[UiPreferences, str | None]:
    """The remembered UI preferences and the problem with their file, if any (never fatal)."""
    return load_ui_preferences(env)


def save_ui_settings(env: Mapping[str, str] | None = None, **changes: Any) -> None:
    """Remember `changes` (e.g. theme=...); failing to save is not fatal."""
    save_ui_preferences(env, **changes)


# -- themes -----------------------------------------------------------------------------


# A theme file's YAML as written, with its `origin`: any mapping until cockpit/ui/themes.py
# checks it (and names the keys it does not know), so genuinely any data here.
ThemeSpec = dict[str, object]


def _parse_theme(text: str, origin: str) -> ThemeSpec:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"theme {origin}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise UsageError(f"theme {origin}: expected a mapping of keys (name, primary, ...)")
    data.setdefault("name", Path(origin).stem)
    data["origin"] = origin
    return data


def load_theme_specs(env: Mapping[str, str] | None = None) -> tuple[list[ThemeSpec], list[str]]:
    """Theme definitions: the shipped ones, then the user's ($XDG_CONFIG_HOME/cockpit/themes).

    Returns (specs, problems): a broken user theme is reported, never fatal.
    """
    specs: list[ThemeSpec] = []
    problems: list[str] = []
    shipped = resources.files("cockpit") / "data" / "themes"
    entries = sorted((e for e in shipped.iterdir() if e.name.endswith(THEME_SUFFIXES)), key=lambda e: e.name)
    for entry in entries:
        specs.append(_parse_theme(entry.read_text(encoding="utf-8"), f"cockpit/data/themes/{entry.name}"))
    user_dir = config_dir(env) / "themes"
    if user_dir.is_dir():
        for path in sorted(p for p in user_dir.iterdir() if p.name.endswith(THEME_SUFFIXES)):
            try:
                specs.append(_parse_theme(path.read_text(encoding="utf-8"), str(path)))
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(f"theme {path}: cannot read it ({exc})")
            except UsageError as exc:
                problems.append(exc.message)
    return specs, problems
