"""aider (0.86.2) against the scripted Chat Completions service, offline.

aider reaches an OpenAI-compatible server through OPENAI_API_BASE with a model named
`openai/<name>` (litellm's prefix). AIDER_MODEL names one, so aider never offers its
OpenRouter browser login (offered only when no model and no key are configured).
The model's metadata is seeded into aider's own cache (~/.aider/caches): aider would
otherwise fetch litellm's price list from GitHub at start (which fails offline) and
warn about an unknown model; the prices make aider print a cost line. Nothing here
answers a question: the catalog's flags and answers do that.
"""

from __future__ import annotations

import json
from pathlib import Path

from cockpit.modelservice.profile_base import Case
from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage, error_reply, hang

MODEL = "openai/scripted"
# USD per token, so aider prints "Cost: $…" (docs/providers.md: aider's usage parser).
INPUT_COST_PER_TOKEN = 0.000003
OUTPUT_COST_PER_TOKEN = 0.000015


class AiderProfile:
    name = "aider"

    def prepare(self, home: Path, base_url: str, workdir: Path) -> dict[str, str]:
        caches = home / ".aider" / "caches"
        caches.mkdir(parents=True, exist_ok=True)
        info = {
            "max_input_tokens": 128000,
            "max_output_tokens": 8192,
            "max_tokens": 8192,
            "input_cost_per_token": INPUT_COST_PER_TOKEN,
            "output_cost_per_token": OUTPUT_COST_PER_TOKEN,
            "litellm_provider": "openai",
            "mode": "chat",
        }
        (caches / "model_prices_and_context_window.json").write_text(
            json.dumps({MODEL: info, MODEL.split("/", 1)[1]: info}, indent=2) + "\n", encoding="utf-8"
        )
        gitconfig = home / ".gitconfig"
        if not gitconfig.exists():  # aider prints identity hints in a repo without one
            gitconfig.write_text(
                "[user]\n\tname = cockpit conformance\n\temail = conformance@cockpit.invalid\n", encoding="utf-8"
            )
        return {
            "HOME": str(home),
            "OPENAI_API_BASE": base_url.rstrip("/") + "/v1",
            "OPENAI_API_KEY": "cockpit-offline-key",
            "AIDER_MODEL": MODEL,
            "AIDER_SHOW_MODEL_WARNINGS": "false",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }

    def case(self, mode: str, kind: str) -> Case | None:
        # aider asks the model once per prompt (auto-commits are off), so a case has one turn;
        # without tools the edit is a whole-file listing in the text, and interactive aider
        # asks "Create new file?" before writing it. aider prices the tokens itself from the
        # seeded metadata: 321 * $3/M + 54 * $15/M = $0.001773, printed as "$0.0018".
        content = "hello from the scripted model\n"
        edit = Scenario(
            name=f"aider-{mode}-{kind}",
            turns=[
                Turn(
                    kind="write_file",
                    path="hello.txt",
                    content=content,
                    text="I will create hello.txt.",
                    usage=TurnUsage(input_tokens=321, output_tokens=54),
                )
            ],
        )
        prompt = "Please create hello.txt (cockpit conformance)"
        if kind in ("happy", "deny") and mode == "interactive":
            return Case(kind, edit, prompt, "hello.txt", content, permission=True, cost_micro_usd=1800)
        if kind == "happy" and mode == "headless":
            return Case(kind, edit, prompt, "hello.txt", content, cost_micro_usd=1800)
        if kind == "auth" and mode == "headless":
            return Case(kind, error_reply(401, "invalid x-api-key"), "Say hello (cockpit conformance)")
        if kind == "hang" and mode == "headless":
            return Case(kind, hang(), "Say hello (cockpit conformance)")
        return None
