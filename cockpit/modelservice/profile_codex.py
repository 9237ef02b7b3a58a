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

from cockpit.modelservice.profile_base import Case
from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage, error_reply, hang

MODEL = "gpt-5.5"
KEY_ENV = "COCKPIT_OFFLINE_OPENAI_KEY"


def _toml(value: str) -> str:
    return json.dumps(value)  # a TOML basic string uses JSON's escapes


def trusted_dirs(workdir: Path) -> list[Path]:
    """The work directory and its git top level (codex keys trust by the project root)."""
    dirs = [workdir.resolve()]
    try:
        top = subprocess.run(
            ["git", "-C", str(workdir), "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
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

    def case(self, mode: str, kind: str) -> Case | None:
        return conformance_case("codex", mode, kind)


CONTENT = "hello from the scripted model\n"
PROMPT = "Please create hello.txt (cockpit conformance)"


def conformance_case(cli: str, mode: str, kind: str) -> Case | None:
    """codex: a file write is an exec_command; interactive (on-request approvals) it asks for
    escalation, so the TUI asks first; exec (approval never) runs it in the sandbox unasked."""
    if kind in ("happy", "trust", "deny") and mode == "interactive" or kind == "happy" and mode == "headless":
        scenario = Scenario(
            name=f"{cli}-{mode}-{kind}",
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
        return Case(kind, scenario, PROMPT, "hello.txt", CONTENT, permission=mode == "interactive")
    if kind == "auth" and mode == "headless":
        return Case(kind, error_reply(401, "Incorrect API key provided"), "Say hello (cockpit conformance)")
    if kind == "hang" and mode == "headless":
        return Case(kind, hang(), "Say hello (cockpit conformance)")
    return None


def notify_command() -> list[str] | None:
    """codex runs `notify` with one JSON argument after each turn; appended to $COCKPIT_SIGNALS."""
    return None
