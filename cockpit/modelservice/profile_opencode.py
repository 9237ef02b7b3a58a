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

from cockpit.modelservice.profile_base import Case
from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage, edit_with_permission, error_reply, hang

PROVIDER = "cockpit"
MODEL = "scripted"


class OpencodeProfile:
    name = "opencode"

    def prepare(self, home: Path, base_url: str, workdir: Path) -> dict[str, str]:
        config_dir = home / ".config" / "opencode"
        config_dir.mkdir(parents=True, exist_ok=True)
        config = {
            "$schema": "https://opencode.ai/config.json",
            "provider": {
                PROVIDER: {
                    "npm": "@ai-sdk/openai-compatible",
                    "name": "cockpit scripted model service",
                    "options": {"baseURL": base_url.rstrip("/") + "/v1", "apiKey": "cockpit-offline-key"},
                    "models": {MODEL: {"name": MODEL}},
                }
            },
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

    def case(self, mode: str, kind: str) -> Case | None:
        content = "hello from the scripted model\n"
        prompt = "Please create hello.txt (cockpit conformance)"
        if kind in ("happy", "deny") and mode == "interactive":
            # bash asks (this profile's config): the command writes the file once allowed.
            command = "printf 'hello from the scripted model\\n' > hello.txt"
            scenario = Scenario(
                name=f"opencode-{kind}",
                turns=[
                    Turn(
                        kind="shell",
                        command=command,
                        text="I will write hello.txt.",
                        usage=TurnUsage(input_tokens=1234, output_tokens=56, cache_read_input_tokens=100),
                    ),
                    Turn(kind="text", text="Done: hello.txt is written.", usage=TurnUsage(input_tokens=1400, output_tokens=21)),
                ],
            )
            return Case(kind, scenario, prompt, "hello.txt", content, permission=True)
        if kind == "happy" and mode == "headless":
            # `run` allows edits without asking (opencode's default): the write tool call lands.
            return Case(kind, edit_with_permission("hello.txt", content), prompt, "hello.txt", content)
        if kind == "auth" and mode == "headless":
            return Case(kind, error_reply(401, "invalid x-api-key"), "Say hello (cockpit conformance)")
        if kind == "hang" and mode == "headless":
            return Case(kind, hang(), "Say hello (cockpit conformance)")
        return None
