"""Masking of secrets in what is RECORDED (receipts, the store, reports). Pure: the caller passes the env.

Masking never applies to what RUNS: a gate command or a prompt is executed as written,
from a private copy (0600), and only its record is masked.

Four nets, all applied to every string of a receipt:
  * the value of any environment variable whose name looks secret (KEY, TOKEN, ...)
    is replaced wherever it occurs;
  * strings shaped like credentials are replaced even when no env var holds them:
    provider API keys, private key blocks (PEM, OpenSSH, PGP), JWTs;
  * secrets known by their context: the password of a URL (`https://alice:pw@host`),
    `Authorization: Bearer ...`, the value after a secret-looking name
    (`password=...`, `passwd: ...`, `"client_secret": "..."`, `--token ...`,
    `aws_secret_access_key = ...`);
  * dictionary entries whose key itself looks secret have their whole value masked.
tests/ledger/secret_corpus.txt lists the shapes (and look-alikes that must survive).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"
# A name is secret when one of its words (split at _ - . and camelCase) is one of these
# or ends like one: OPENAI_API_KEY, apiKey, GITHUB_TOKEN, DB_PASSWORD, BASIC_AUTH.
SECRET_WORDS = frozenset({"AUTH", "COOKIE", "CREDENTIAL", "CREDENTIALS", "PASS", "PASSPHRASE", "PASSWD", "PRIVATE", "PWD"})
SECRET_ENDINGS = ("KEY", "TOKEN", "SECRET", "SECRETS", "PASSWORD")
WORD_SPLIT_RE = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
# Names that match the pattern but are never secret (paths and switches, not values).
NOT_SECRET_NAMES = frozenset({"SSH_AUTH_SOCK", "PWD", "OLDPWD", "GPG_AGENT_INFO"})
MIN_SECRET_LEN = 6  # shorter values are too likely to occur by chance ("1", "true")

# Shapes of credentials; deliberately broad, a false positive only hides text.
KEY_SHAPES = re.compile(
    r"""
    sk-ant-[A-Za-z0-9_\-]{16,}            # Anthropic
  | sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}  # OpenAI and compatibles
  | AIza[0-9A-Za-z_\-]{35}                # Google API keys (Gemini)
  | ya29\.[0-9A-Za-z_\-]{20,}             # Google OAuth access tokens
  | gh[pousr]_[A-Za-z0-9]{36,}            # GitHub tokens
  | github_pat_[A-Za-z0-9_]{22,}
  | xox[abposr]-[A-Za-z0-9\-]{10,}        # Slack
  | xapp-[0-9]-[A-Za-z0-9\-]{10,}
  | hooks\.slack\.com/services/[A-Za-z0-9/]{20,}
  | (?:AKIA|ASIA)[0-9A-Z]{16}             # AWS access key ids
  | glpat-[A-Za-z0-9_\-]{20,}             # GitLab
  | hf_[A-Za-z0-9]{30,}                   # Hugging Face
  | gsk_[A-Za-z0-9]{40,}                  # Groq
  | r8_[A-Za-z0-9]{30,}                   # Replicate
  | (?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}  # Stripe secret and restricted keys
  | SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}  # SendGrid
  | npm_[A-Za-z0-9]{36}                   # npm
  | pypi-AgE[A-Za-z0-9_\-]{50,}           # PyPI upload tokens
  | dop_v1_[a-f0-9]{64}                   # DigitalOcean
  | shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}    # Shopify
  | hvs\.[A-Za-z0-9_\-]{24,}              # HashiCorp Vault
  | dapi[a-f0-9]{32}                      # Databricks
  | lin_api_[A-Za-z0-9]{40}               # Linear
  | AGE-SECRET-KEY-1[0-9A-Z]{58}          # age
  | \b[0-9]{8,10}:AA[A-Za-z0-9_\-]{33}\b  # Telegram bots
  | eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}  # JWTs
    """,
    re.VERBOSE,
)

# A private key block, also with its newlines escaped (`\n` inside JSON), also cut short
# (an excerpt that ends inside it): everything between BEGIN and END, or to the end of the text.
PRIVATE_KEY_BLOCK = re.compile(
    r"(-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----)"
    r"(?:.*?(-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----)|.*\Z)",
    re.DOTALL,
)
# scheme://user:password@host: the password goes, the user and host stay.
URL_PASSWORD = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/?#@\"'<>]*):([^\s/?#@\"'<>]+)@")
# Authorization headers and bare bearer tokens.
AUTH_HEADER = re.compile(
    r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token|digest|bot)\s+)?|\bbearer\s+)"
    r"([A-Za-z0-9\-._~+/]{8,}=*)"
)
# name=value, name: value, "name": "value", --name value, --name=value: the value is masked
# when the name looks secret (see looks_secret_name).
FLAG = re.compile(
    r"(?P<name>(?<![A-Za-z0-9_\-])--?[A-Za-z][A-Za-z0-9\-]*)(?P<sep>[ =])(?P<quote>[\"'])?"
    r"(?P<value>(?(quote)[^\"'\n]+|[^\s\"'`]+))"
)
KEY_VALUE = re.compile(
    r"(?P<name>(?<![A-Za-z0-9_.\-])[A-Za-z_][A-Za-z0-9_.\-]*)(?P<sep>[\"']?[ \t]*[:=][ \t]*)"
    r"(?P<quote>[\"'])?(?P<value>(?(quote)[^\"'\n]+|[^\s\"'`,;&]+))"
)
# AWS secret access keys are 40 characters of base64 with no shape of their own: known by context.
AWS_SECRET = re.compile(
    r"(?i)(aws_?secret_?(?:access_?)?key|secret_?access_?key)([\"']?\s*[:=]\s*[\"']?)"
    r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
)
# `.netrc` lines: machine HOST login USER password SECRET
NETRC = re.compile(r"(?i)(\blogin\s+\S+\s+password\s+)(\S+)")
_TRAILING = ".,;:!?)]}>"


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
    values = {value for name, value in env.items() if looks_secret_name(name) and len(value) >= MIN_SECRET_LEN}
    return tuple(sorted(values, key=len, reverse=True))


def _named_value(match: re.Match[str]) -> str:
    name, value = match.group("name"), match.group("value")
    if not looks_secret_name(name.lstrip("-")) or value == MASK or value.startswith(("$", MASK)):
        return match.group(0)  # not secret by its name, already masked, or a reference ($VAR)
    kept = ""
    if not match.group("quote"):
        stripped = value.rstrip(_TRAILING)
        kept, value = value[len(stripped) :], stripped
        if not value:
            return match.group(0)
    return f"{name}{match.group('sep')}{match.group('quote') or ''}{MASK}{kept}"


# Every secret-looking name holds one of these (lowercased): texts without any skip the
# name-based nets, which are the costly ones (this runs on every string of every receipt).
_NAME_HINTS = ("key", "token", "secret", "pass", "auth", "cookie", "credential", "private", "pwd")


def mask_text(text: str, values: tuple[str, ...] = ()) -> str:
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    if len(text) < 8:
        return text
    if "PRIVATE KEY" in text:
        text = PRIVATE_KEY_BLOCK.sub(lambda m: m.group(1) + MASK + (m.group(2) or ""), text)
    text = KEY_SHAPES.sub(MASK, text)
    if "://" in text:
        text = URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    lower = text.lower()
    if "bearer" in lower or "authorization" in lower:
        text = AUTH_HEADER.sub(lambda m: m.group(1) + MASK, text)
    if not any(hint in lower for hint in _NAME_HINTS):
        return text
    if "secret" in lower:
        text = AWS_SECRET.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    if ":" in text or "=" in text:
        text = KEY_VALUE.sub(_named_value, text)
    if "-" in text:
        text = FLAG.sub(_named_value, text)
    if "password" in lower:
        text = NETRC.sub(lambda m: m.group(1) + (m.group(2) if m.group(2) == MASK else MASK), text)
    return text


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
