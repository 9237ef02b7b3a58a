"""claude (2.1.197) against the scripted Anthropic service, with no login and no network.

~/.claude.json with hasCompletedOnboarding skips the onboarding's connectivity check
(which fails offline and exits); projects.<dir>.hasTrustDialogAccepted pre-trusts the
worktree through claude's own config. ANTHROPIC_AUTH_TOKEN, not ANTHROPIC_API_KEY:
the latter raises a "use this API key?" dialog (ref: claude/observed-offline-model-service.md).
"""

from __future__ import annotations

import json
from pathlib import Path


class ClaudeProfile:
    name = "claude"

    def prepare(self, home: Path, base_url: str, workdir: Path) -> dict[str, str]:
        home.mkdir(parents=True, exist_ok=True)
        config = home / ".claude.json"
        data = json.loads(config.read_text(encoding="utf-8")) if config.exists() else {}
        data["hasCompletedOnboarding"] = True
        projects = data.setdefault("projects", {})
        projects.setdefault(str(workdir), {})["hasTrustDialogAccepted"] = True
        config.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        return {
            "HOME": str(home),
            "ANTHROPIC_BASE_URL": base_url,
            "ANTHROPIC_AUTH_TOKEN": "cockpit-offline-token",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
        }
