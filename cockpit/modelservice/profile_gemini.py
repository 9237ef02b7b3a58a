"""gemini (0.61.0) against the scripted Gemini API service, with no login and no network.

GEMINI_API_KEY + GOOGLE_GEMINI_BASE_URL send every request to the service; settings.json
selects the `gemini-api-key` auth type (else the TUI asks how to authenticate), turns the
folder-trust dialog off through gemini's own setting (`security.folderTrust.enabled`; the
catalog's `--skip-trust` does the same per run) and the update check off (no network).
"""

from __future__ import annotations

import json
from pathlib import Path

from cockpit.domain.json_value import JsonObject
from cockpit.modelservice.profile_base import Case
from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage, error_reply, hang

KEY = "cockpit-offline-key"


def settings(hooks: JsonObject | None = None) -> JsonObject:
    data: JsonObject = {
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
        return {
            "HOME": str(home),
            "GEMINI_API_KEY": KEY,
            "GOOGLE_GEMINI_BASE_URL": base_url.rstrip("/"),
            "GEMINI_CLI_TRUST_WORKSPACE": "true",
        }

    def case(self, mode: str, kind: str) -> Case | None:
        """gemini: auto_edit lets file edits through, its shell tool asks (interactive only:
        headless it is not offered). No "trust" case: --skip-trust is in the catalog's args."""
        prompt = "Please create hello.txt (cockpit conformance)"
        if kind in ("happy", "deny") and mode == "interactive":
            scenario = Scenario(
                name=f"gemini-interactive-{kind}",
                turns=[
                    Turn(
                        kind="shell",
                        command=f"printf '{CONTENT.strip()}\\n' > hello.txt",
                        text="I will create hello.txt.",
                        usage=TurnUsage(input_tokens=1234, output_tokens=56),
                    ),
                    Turn(kind="text", text="Done: hello.txt is written.", usage=TurnUsage(input_tokens=1400, output_tokens=21)),
                ],
            )
            return Case(kind, scenario, prompt, "hello.txt", CONTENT, permission=True)
        if kind == "happy" and mode == "headless":
            scenario = Scenario(
                name="gemini-headless",
                turns=[
                    Turn(
                        kind="write_file",
                        path="hello.txt",
                        content=CONTENT,
                        text="I will create hello.txt.",
                        usage=TurnUsage(input_tokens=1234, output_tokens=56),
                    ),
                    Turn(kind="text", text="Done: hello.txt is written.", usage=TurnUsage(input_tokens=1400, output_tokens=21)),
                ],
            )
            return Case(kind, scenario, prompt, "hello.txt", CONTENT)
        if kind == "auth" and mode == "headless":
            return Case(kind, error_reply(401, "Incorrect API key provided"), "Say hello (cockpit conformance)")
        if kind == "hang" and mode == "headless":
            return Case(kind, hang(), "Say hello (cockpit conformance)")
        return None


CONTENT = "hello from the scripted model\n"
