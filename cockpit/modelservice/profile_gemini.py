"""gemini (0.61.0) against the scripted Gemini API service, with no login and no network.

GEMINI_API_KEY + GOOGLE_GEMINI_BASE_URL send every request to the service; settings.json
selects the `gemini-api-key` auth type (else the TUI asks how to authenticate), turns the
folder-trust dialog off through gemini's own setting (`security.folderTrust.enabled`; the
catalog's `--skip-trust` does the same per run) and the update check off (no network).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

KEY = "cockpit-offline-key"


def settings(hooks: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "security": {"auth": {"selectedType": "gemini-api-key"}, "folderTrust": {"enabled": False}},
        "general": {"disableAutoUpdate": True, "disableUpdateNag": True},
        "privacy": {"usageStatisticsEnabled": False},
    }
    if hooks:
        data["hooks"] = hooks
    return data


class GeminiProfile:
    name = "gemini"

    def prepare(self, home: Path, base_url: str, workdir: Path) -> dict[str, str]:
        gemini_dir = home / ".gemini"
        gemini_dir.mkdir(parents=True, exist_ok=True)
        path = gemini_dir / "settings.json"
        path.write_text(json.dumps(settings(), indent=2) + "\n", encoding="utf-8")
        return {"HOME": str(home), "GEMINI_API_KEY": KEY, "GOOGLE_GEMINI_BASE_URL": base_url.rstrip("/"),
                "GEMINI_CLI_TRUST_WORKSPACE": "true"}
