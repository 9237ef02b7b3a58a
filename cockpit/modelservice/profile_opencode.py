"""opencode (1.18.33) against the scripted Chat Completions service, offline.

A custom provider in ~/.config/opencode/opencode.json uses the bundled
@ai-sdk/openai-compatible package with `baseURL` pointing at the service; `model` and
`small_model` (titles) select it, so opencode never falls back to its networked
"OpenCode Zen" default. The environment switches off what needs the network:
the models.dev catalogue fetch, the self-update, LSP downloads and the default plugins
(installed from npm on first use). `bash` asks permission, so an interactive run shows
opencode's permission prompt; edits are allowed (opencode's default), because
`opencode run` rejects every "ask" on its own ("permission requested … auto-rejecting").
"""

from __future__ import annotations

import json
from pathlib import Path

PROVIDER = "cockpit"
MODEL = "scripted"


class OpencodeProfile:
    name = "opencode"

    def prepare(self, home: Path, base_url: str, workdir: Path) -> dict[str, str]:
        config_dir = home / ".config" / "opencode"
        config_dir.mkdir(parents=True, exist_ok=True)
        config = {
            "$schema": "https://opencode.ai/config.json",
            "provider": {PROVIDER: {
                "npm": "@ai-sdk/openai-compatible",
                "name": "cockpit scripted model service",
                "options": {"baseURL": base_url.rstrip("/") + "/v1", "apiKey": "cockpit-offline-key"},
                "models": {MODEL: {"name": MODEL}},
            }},
            "model": f"{PROVIDER}/{MODEL}",
            "small_model": f"{PROVIDER}/{MODEL}",
            "autoupdate": False,
            "share": "disabled",
            "permission": {"bash": "ask"},
        }
        (config_dir / "opencode.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "OPENCODE_DISABLE_MODELS_FETCH": "1",
            "OPENCODE_DISABLE_AUTOUPDATE": "1",
            "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
            "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
            "OPENCODE_DISABLE_SHARE": "1",
        }
