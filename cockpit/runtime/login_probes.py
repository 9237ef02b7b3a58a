"""Is each agent CLI logged in? Asked the way each CLI answers it, offline and read-only.

  claude    `claude auth status` prints JSON with loggedIn / authMethod / apiKeySource
  codex     `codex login status` prints "Logged in using ..." or "Not logged in"
  opencode  `opencode providers list` counts stored credentials and key variables
  gemini    no command: ~/.gemini/settings.json's selected auth type and the key variables
  aider     no command: an API key variable in the environment
Known by the binary's name, so a catalog entry that runs one of these CLIs under
another provider name is probed too. A probe runs with the provider's env laid over
ours, stdin /dev/null, in its own session (killed whole on timeout).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cockpit.domain.provider import Provider, strip_ansi

LOGGED_IN, NOT_LOGGED_IN, UNKNOWN, TIMED_OUT = "logged in", "not logged in", "unknown", "timed out"
GEMINI_KEYS = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA")
AIDER_KEYS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "OPENROUTER_API_KEY",
    "DEEPSEEK_API_KEY",
    "GROQ_API_KEY",
    "MISTRAL_API_KEY",
    "XAI_API_KEY",
    "COHERE_API_KEY",
    "AZURE_API_KEY",
)


@dataclass(frozen=True)
class LoginState:
    state: str  # LOGGED_IN | NOT_LOGGED_IN | UNKNOWN | TIMED_OUT
    detail: str

    def text(self) -> str:
        return f"{self.state} ({self.detail})" if self.detail else self.state


class _TimedOut(Exception):
    pass


def _run(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
    """(exit code, stdout + stderr without escapes); _TimedOut after killing its whole session."""
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
        proc.communicate()
        raise _TimedOut from None
    return proc.returncode, strip_ansi(out.decode("utf-8", "replace"))


def _claude(prefix: list[str], env: dict[str, str], timeout: float) -> LoginState:
    code, out = _run([*prefix, "auth", "status"], env, timeout)
    try:
        data = json.loads(out[out.index("{") : out.rindex("}") + 1])
    except ValueError:
        return LoginState(UNKNOWN, f"`claude auth status` exited {code}: {_first_line(out)}")
    if data.get("loggedIn") is True:
        how = data.get("apiKeySource") or data.get("authMethod") or ""
        return LoginState(LOGGED_IN, str(how))
    return LoginState(NOT_LOGGED_IN, "run `claude auth login`, or set ANTHROPIC_API_KEY")


def _codex(prefix: list[str], env: dict[str, str], timeout: float) -> LoginState:
    code, out = _run([*prefix, "login", "status"], env, timeout)
    lines = [line.strip() for line in out.splitlines() if line.strip() and not line.startswith("WARNING")]
    for line in lines:
        if line.lower().startswith("not logged in"):
            return LoginState(NOT_LOGGED_IN, "run `codex login`, or `codex login --with-api-key`")
        if line.lower().startswith("logged in"):
            return LoginState(LOGGED_IN, line.removeprefix("Logged in").strip(" :"))
    return LoginState(UNKNOWN, f"`codex login status` exited {code}: {lines[-1] if lines else 'no output'}")


_COUNT = re.compile(r"(\d+)\s+(credentials?|environment variables?)")


def _opencode(prefix: list[str], env: dict[str, str], timeout: float) -> LoginState:
    code, out = _run([*prefix, "providers", "list"], env, timeout)
    counts = {kind.split()[0].rstrip("s"): int(n) for n, kind in _COUNT.findall(out)}
    if not counts:
        return LoginState(UNKNOWN, f"`opencode providers list` exited {code}: {_first_line(out)}")
    have = [f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(counts.items()) if n]
    if have:
        return LoginState(LOGGED_IN, ", ".join(have).replace("environment", "key variable"))
    return LoginState(NOT_LOGGED_IN, "run `opencode auth login`, or set a provider's API key variable")


def _gemini(prefix: list[str], env: dict[str, str], timeout: float) -> LoginState:
    home = Path(env.get("GEMINI_CLI_HOME") or env.get("HOME") or Path.home())
    settings = home / ".gemini" / "settings.json"
    selected = None
    try:
        data = json.loads(settings.read_text(encoding="utf-8"))
        auth = (data.get("security") or {}).get("auth") or {}
        selected = auth.get("selectedType") or data.get("selectedAuthType")
    except (OSError, ValueError, AttributeError):
        pass
    keys = [k for k in GEMINI_KEYS if env.get(k)]
    if selected == "oauth-personal":
        creds = home / ".gemini" / "oauth_creds.json"
        return (
            LoginState(LOGGED_IN, "Google sign-in")
            if creds.exists()
            else LoginState(NOT_LOGGED_IN, f"auth type oauth-personal but no {creds}")
        )
    if selected and (keys or selected not in ("gemini-api-key", "vertex-ai")):
        return LoginState(LOGGED_IN, f"auth type {selected}" + (f", {', '.join(keys)} set" if keys else ""))
    if selected:
        return LoginState(NOT_LOGGED_IN, f"auth type {selected} in {settings}, but none of {', '.join(GEMINI_KEYS)}")
    if keys:
        return LoginState(LOGGED_IN, f"{', '.join(keys)} set (no auth type selected in {settings})")
    return LoginState(NOT_LOGGED_IN, f"no auth type in {settings} and none of {', '.join(GEMINI_KEYS[:2])} set")


def _aider(prefix: list[str], env: dict[str, str], timeout: float) -> LoginState:
    keys = [k for k in AIDER_KEYS if env.get(k)]
    if keys:
        return LoginState(LOGGED_IN, f"{', '.join(keys)} set")
    return LoginState(NOT_LOGGED_IN, f"no API key variable set ({', '.join(AIDER_KEYS[:3])}, ...)")


PROBES: dict[str, Callable[[list[str], dict[str, str], float], LoginState]] = {
    "claude": _claude,
    "codex": _codex,
    "opencode": _opencode,
    "gemini": _gemini,
    "aider": _aider,
}


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "no output")[:160]


def probe_login(provider: Provider, prefix: list[str], timeout: float = 10.0) -> LoginState | None:
    """The provider's login state; None when cockpit knows no way to ask its CLI."""
    probe = PROBES.get(Path(provider.binary).name)
    if probe is None:
        return None
    env = {**os.environ, **provider.env}
    try:
        return probe(prefix, env, timeout)
    except _TimedOut:
        return LoginState(TIMED_OUT, f"timed out after {timeout:g} s")
    except OSError as exc:
        return LoginState(UNKNOWN, f"cannot run it: {exc.strerror or exc}")
