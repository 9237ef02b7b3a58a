"""Masking of secrets before anything reaches the ledger. Pure: the caller passes the env.

Two nets, both applied to every string of a receipt:
  * the value of any environment variable whose name looks secret (KEY, TOKEN, ...)
    is replaced wherever it occurs;
  * strings shaped like provider API keys are replaced even when no env var holds them.
Dictionary entries whose key itself looks secret have their whole value masked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"
# A name is secret when one of its words (split at _ - . and camelCase) is one of these
# or ends like one: OPENAI_API_KEY, apiKey, GITHUB_TOKEN, DB_PASSWORD, BASIC_AUTH.
SECRET_WORDS = frozenset(
    {"AUTH", "COOKIE", "CREDENTIAL", "CREDENTIALS", "PASS", "PASSPHRASE", "PASSWD", "PRIVATE", "PWD"}
)
SECRET_ENDINGS = ("KEY", "TOKEN", "SECRET", "SECRETS", "PASSWORD")
WORD_SPLIT_RE = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
# Names that match the pattern but are never secret (paths and switches, not values).
NOT_SECRET_NAMES = frozenset({"SSH_AUTH_SOCK", "PWD", "OLDPWD", "GPG_AGENT_INFO"})
MIN_SECRET_LEN = 6  # shorter values are too likely to occur by chance ("1", "true")

# Shapes of provider credentials; deliberately broad, a false positive only hides text.
KEY_SHAPES = re.compile(
    r"""
    sk-ant-[A-Za-z0-9_\-]{16,}            # Anthropic
  | sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}  # OpenAI and compatibles
  | AIza[0-9A-Za-z_\-]{35}                # Google API keys (Gemini)
  | gh[pousr]_[A-Za-z0-9]{36,}            # GitHub tokens
  | github_pat_[A-Za-z0-9_]{22,}
  | xox[abposr]-[A-Za-z0-9\-]{10,}        # Slack
  | (?:AKIA|ASIA)[0-9A-Z]{16}             # AWS access key ids
  | glpat-[A-Za-z0-9_\-]{20,}             # GitLab
  | hf_[A-Za-z0-9]{30,}                   # Hugging Face
  | gsk_[A-Za-z0-9]{40,}                  # Groq
  | r8_[A-Za-z0-9]{30,}                   # Replicate
  | eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}  # JWTs
    """,
    re.VERBOSE,
)


def looks_secret_name(name: str) -> bool:
    if name.upper() in NOT_SECRET_NAMES:
        return False
    for word in WORD_SPLIT_RE.split(name):
        upper = word.upper()
        if upper in SECRET_WORDS or upper.endswith(SECRET_ENDINGS):
            return True
    return False


def secret_values(env: Mapping[str, str]) -> tuple[str, ...]:
    """The values to hide, longest first so that overlapping values mask fully."""
    values = {
        value
        for name, value in env.items()
        if looks_secret_name(name) and len(value) >= MIN_SECRET_LEN
    }
    return tuple(sorted(values, key=len, reverse=True))


def mask_text(text: str, values: tuple[str, ...] = ()) -> str:
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return KEY_SHAPES.sub(MASK, text)


def mask(value: Any, values: tuple[str, ...] = ()) -> Any:
    """Return a copy of a JSON-like value with every secret masked."""
    if isinstance(value, str):
        return mask_text(value, values)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and looks_secret_name(key) and isinstance(item, str) and item:
                out[key] = MASK
            else:
                out[key] = mask(item, values)
        return out
    if isinstance(value, list | tuple):
        return [mask(item, values) for item in value]
    return value
