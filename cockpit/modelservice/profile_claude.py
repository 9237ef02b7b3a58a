"""claude (2.1.197) against the scripted Anthropic service, with no login and no network.

~/.claude.json with hasCompletedOnboarding skips the onboarding's connectivity check
(which fails offline and exits); projects.<dir>.hasTrustDialogAccepted pre-trusts the
worktree through claude's own config. ANTHROPIC_AUTH_TOKEN, not ANTHROPIC_API_KEY:
the latter raises a "use this API key?" dialog (ref: claude/observed-offline-model-service.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from cockpit.modelservice.profile_base import Case
from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage, error_reply, hang


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

    def case(self, mode: str, kind: str) -> Case | None:
        content = "hello from the scripted model\n"
        if kind in ("happy", "trust", "deny") and mode == "interactive":
            # The catalog runs claude with acceptEdits: file edits pass, a shell command asks.
            # python3 -c is not on claude's list of commands it allows by itself.
            command = f"python3 -c \"open('hello.txt', 'w').write({content!r})\""
            scenario = Scenario(
                name=f"claude-{kind}",
                turns=[
                    Turn(
                        kind="shell",
                        command=command,
                        text="I will write hello.txt.",
                        usage=TurnUsage(input_tokens=1234, output_tokens=56, cache_read_input_tokens=0),
                    ),
                    Turn(kind="text", text="Done: hello.txt is written.", usage=TurnUsage(input_tokens=1400, output_tokens=21)),
                ],
            )
            return Case(kind, scenario, "Please create hello.txt (cockpit conformance)", "hello.txt", content, permission=True)
        if kind == "happy" and mode == "headless":
            # -p cannot ask; acceptEdits lets the Write through (a prompt-less edit).
            scenario = Scenario(
                name="claude-headless",
                turns=[
                    Turn(
                        kind="write_file",
                        path="hello.txt",
                        content=content,
                        text="Writing hello.txt.",
                        usage=TurnUsage(input_tokens=1234, output_tokens=56, cache_read_input_tokens=0),
                    ),
                    Turn(kind="text", text="Done: hello.txt is written.", usage=TurnUsage(input_tokens=1400, output_tokens=21)),
                ],
            )
            return Case(kind, scenario, "Please create hello.txt (cockpit conformance)", "hello.txt", content)
        if kind == "auth" and mode == "headless":
            return Case(kind, error_reply(401, "invalid x-api-key"), "Say hello (cockpit conformance)")
        if kind == "hang" and mode == "headless":
            return Case(kind, hang(), "Say hello (cockpit conformance)")
        return None
