"""codex (0.169.0) against the scripted Responses service, with no login and no network.

A custom model provider in ~/.codex/config.toml (`wire_api = "responses"`) makes codex POST
/v1/responses over HTTP with the key from `env_key`; with it, the TUI shows no sign-in menu
(with OPENAI_BASE_URL alone it tries a Responses WebSocket first). The rest of the seeded
config answers, through codex's own settings, the screens a fresh HOME would show before
the composer: the folder-trust question (`projects.<dir>.trust_level`), the screen-reader
probe and the "Meet <new model>" upgrade offer (`tui.model_availability_nux`,
`notice.model_migrations`). gpt-5.5 is a model codex knows, so it sends its full tool set
(`exec_command`, `apply_patch`) and prints no "model metadata not found" warning.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

MODEL = "gpt-5.5"
KEY_ENV = "COCKPIT_OFFLINE_OPENAI_KEY"


def _toml(value: str) -> str:
    return json.dumps(value)  # a TOML basic string uses JSON's escapes


def trusted_dirs(workdir: Path) -> list[Path]:
    """The work directory and its git top level (codex keys trust by the project root)."""
    dirs = [workdir.resolve()]
    try:
        top = subprocess.run(["git", "-C", str(workdir), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        top = ""
    if top and Path(top).resolve() not in dirs:
        dirs.append(Path(top).resolve())
    return dirs


def config_toml(base_url: str, workdir: Path, notify: list[str] | None = None) -> str:
    lines = []
    if notify:
        lines.append(f"notify = [{', '.join(_toml(a) for a in notify)}]")
    lines += [
        f"model = {_toml(MODEL)}",
        'model_provider = "cockpit"',
        "",
        "[model_providers.cockpit]",
        'name = "cockpit scripted model service"',
        f"base_url = {_toml(base_url.rstrip('/') + '/v1')}",
        f"env_key = {_toml(KEY_ENV)}",
        'wire_api = "responses"',
        "",
        "[tui]",
        "screen_reader_detection_done = true",
        "",
        "[tui.model_availability_nux]",
        '"gpt-6.1-sol" = 99',
        '"gpt-6-sol" = 99',
        "",
        "[notice.model_migrations]",
        f'{_toml(MODEL)} = "gpt-6-sol"',
        "",
    ]
    for directory in trusted_dirs(workdir):
        lines += [f"[projects.{_toml(str(directory))}]", 'trust_level = "trusted"', ""]
    return "\n".join(lines)


class CodexProfile:
    name = "codex"

    def prepare(self, home: Path, base_url: str, workdir: Path) -> dict[str, str]:
        codex_home = home / ".codex"
        codex_home.mkdir(parents=True, exist_ok=True)
        (codex_home / "config.toml").write_text(config_toml(base_url, workdir, notify_command()), encoding="utf-8")
        return {"HOME": str(home), "CODEX_HOME": str(codex_home), KEY_ENV: "cockpit-offline-key"}


def notify_command() -> list[str] | None:
    """codex runs `notify` with one JSON argument after each turn; appended to $COCKPIT_SIGNALS."""
    return None
