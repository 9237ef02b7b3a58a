"""The provider catalog's models: how to launch an agent CLI and how to read its screen.

Pure pydantic, no I/O. docs/providers.md describes every field; the loader that
merges catalog files and reports errors with file:line lives in
cockpit/runtime/provider_catalog.py.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

PROMPT_PLACEHOLDER = "{prompt}"
NAME_RE = r"^[a-z][a-z0-9_-]*$"
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# CSI (colours, cursor moves), OSC (titles, hyperlinks) and two-byte escapes.
ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")

ScreenState = Literal["waiting", "working", "idle", "ready"]
Mode = Literal["headless", "interactive"]
UsageParserName = Literal["claude", "codex", "gemini", "opencode", "aider", "fake", "none"]


def strip_ansi(text: str) -> str:
    """Terminal text without escape sequences and carriage returns."""
    return ANSI_RE.sub("", text).replace("\r", "")


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from None
    return pattern


Regex = Annotated[str, AfterValidator(_compiles)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScreenPatterns(_Strict):
    """Regexes (Python syntax, searched with re.MULTILINE) over a worker's visible screen.

    ready:   the agent's input box is shown and nothing runs. Before the prompt is
             typed in this means "type now"; after a prompt was submitted, a screen
             that is `ready` again means the turn is over (treat it as idle).
    working: the agent is busy (spinner, "esc to interrupt").
    waiting: the agent needs the operator: permission, trust or login prompts.
    idle:    an explicit end-of-turn marker, for agents that show one.
    refuse:  a prompt cockpit never accepts (a browser login a worker cannot finish):
             when one shows, the worker is ended at once and the line is its error.
    """

    ready: list[Regex] = Field(default_factory=list)
    working: list[Regex] = Field(default_factory=list)
    waiting: list[Regex] = Field(default_factory=list)
    idle: list[Regex] = Field(default_factory=list)
    refuse: list[Regex] = Field(default_factory=list)

    def refused_line(self, screen_text: str) -> str | None:
        """The screen line that a `refuse` pattern matches, or None."""
        text = strip_ansi(screen_text)
        for pattern in _compile(tuple(self.refuse)):
            found = pattern.search(text)
            if found is not None:
                start = text.rfind("\n", 0, found.start()) + 1
                end = text.find("\n", found.end())
                return text[start : end if end >= 0 else len(text)].strip()
        return None

    def _compiled(self, kind: ScreenState) -> tuple[re.Pattern[str], ...]:
        return _compile(tuple(getattr(self, kind)))

    def compiled(self, kind: ScreenState) -> tuple[re.Pattern[str], ...]:
        """The compiled patterns of `kind` (e.g. to find the question on a waiting screen)."""
        return self._compiled(kind)

    def matches(self, kind: ScreenState, screen_text: str) -> bool:
        """Whether any pattern of `kind` is found in the (ANSI-stripped) screen."""
        text = strip_ansi(screen_text)
        return any(p.search(text) for p in self._compiled(kind))

    def classify(self, screen_text: str) -> ScreenState | None:
        """The screen's state; priority waiting > working > idle > ready; None if nothing matches."""
        text = strip_ansi(screen_text)
        for kind in _PRIORITY:
            if any(p.search(text) for p in self._compiled(kind)):
                return kind
        return None


_PRIORITY: tuple[ScreenState, ...] = ("waiting", "working", "idle", "ready")


@lru_cache(maxsize=512)
def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    # Cached by pattern text, not on the model: models stay plain data (copy, compare).
    return tuple(re.compile(p, re.MULTILINE) for p in patterns)


class HeadlessSpec(_Strict):
    """A run that takes the prompt, prints machine-readable output and exits.

    args: the argv after the binary. With prompt_via "arg", exactly one element is
    "{prompt}" (an element of its own, nothing around it); it is replaced whole by the
    prompt, byte for byte, and the argv never goes through a shell. With "stdin", the
    prompt file becomes the process's stdin.
    """

    args: list[str]
    prompt_via: Literal["stdin", "arg"]
    # Stop a headless run after this long when the dispatch sets no timeout of its own
    # (None: the supervisor's `headless_timeout_s` setting applies).
    timeout_s: int | None = Field(default=None, gt=0, le=7 * 24 * 3600)

    @model_validator(mode="after")
    def _placeholder(self) -> HeadlessSpec:
        exact = [i for i, a in enumerate(self.args) if a == PROMPT_PLACEHOLDER]
        embedded = [a for a in self.args if PROMPT_PLACEHOLDER in a and a != PROMPT_PLACEHOLDER]
        if embedded:
            raise ValueError(f'"{{prompt}}" must be an argument of its own, not part of {embedded[0]!r}')
        if self.prompt_via == "arg" and len(exact) != 1:
            raise ValueError(f'prompt_via "arg" needs exactly one "{{prompt}}" argument, found {len(exact)}')
        if self.prompt_via == "stdin" and exact:
            raise ValueError('prompt_via "stdin" must not have a "{prompt}" argument')
        return self

    @property
    def prompt_index(self) -> int | None:
        """Index of "{prompt}" in args (arg mode), else None."""
        return self.args.index(PROMPT_PLACEHOLDER) if self.prompt_via == "arg" else None


class InteractiveSpec(_Strict):
    """The agent's own TUI in tmux; the prompt is typed in once `patterns.ready` matches.

    submit_delay_s: the pause between pasting the prompt and its submit keys, for TUIs that
    take keys arriving right after a paste as part of it (gemini 0.61 then adds a newline).
    resubmit_after_s: when the CLI's hook has not confirmed the prompt this long after it was
    typed, send the submit keys once more (never the text); for a CLI whose input box ignores
    an empty submit. 0 = never.
    """

    args: list[str] = Field(default_factory=list)
    submit_keys: list[str] = Field(default_factory=lambda: ["Enter"])
    submit_delay_s: float = Field(default=0.0, ge=0, le=10)
    resubmit_after_s: float = Field(default=0.0, ge=0, le=60)
    ready_timeout_s: int = Field(default=60, gt=0)

    @field_validator("args")
    @classmethod
    def _no_placeholder(cls, v: list[str]) -> list[str]:
        if any(PROMPT_PLACEHOLDER in a for a in v):
            raise ValueError('interactive args must not contain "{prompt}": the prompt is typed in')
        return v


class PriceTable(_Strict):
    """USD per million tokens, used only when the agent's output carries no cost."""

    input_per_mtok_usd: Decimal = Field(ge=0)
    output_per_mtok_usd: Decimal = Field(ge=0)


SignalState = Literal["working", "waiting", "idle", "none"]


class SignalMatch(_Strict):
    """One structured signal from the CLI.

    event: the signal's "event" field (e.g. claude's hook name "PermissionRequest").
    when:  payload fields that must have these values (e.g. notification_type: permission_prompt).
    """

    event: str = Field(min_length=1)
    when: dict[str, str] = Field(default_factory=dict)

    def matches(self, event: str, payload: dict[str, object]) -> bool:
        return event == self.event and all(str(payload.get(k)) == v for k, v in self.when.items())


class SignalRule(SignalMatch):
    """A signal and the state it means ("none": recorded, no state change)."""

    state: SignalState


class SignalSpec(_Strict):
    """How a CLI reports its own state: it appends one JSON line per event to $COCKPIT_SIGNALS.

    args:      added to the CLI's argv (both modes) to wire its hooks/notifications to that
               file, e.g. claude's `--settings {...hooks...}`.
    policy_args: used instead of `args` when the repository has a .cockpit/policy.yaml as the
               worker starts (claude: the same hooks plus PreToolUse, which asks cockpit's
               permission policy). A hook claude waits for on every tool call delayed its
               permission dialog by about 100 ms, so it is wired only where it is used.
    rules:     event -> state, first match wins; events no rule names change nothing.
    delivered: events that confirm a typed prompt arrived (their payload's "prompt" field
               is compared with the prompt when present).
    usage:     where interactive token usage comes from ("claude_transcript": the JSONL
               transcript whose path the hook payloads carry as transcript_path; "event": a
               `usage` event whose payload holds the session's totals, input_tokens,
               output_tokens and cost_usd, as opencode's plugin sends;
               "gemini_session": gemini's chat session file, named the same way;
               "codex_session": codex's session file of the thread its notify names).
    data_env:  env var -> a file shipped in cockpit/data, set to that file's absolute path: for
               CLIs that read hooks only from a settings file an env var names (gemini:
               GEMINI_CLI_SYSTEM_DEFAULTS_PATH -> gemini-signals.json).
    asks:      signals that announce a permission question the CLI asks on its own screen
               (gemini's Notification of type ToolPermission, naming the tool and command).
               With a .cockpit/policy.yaml, cockpit's policy and inbox decide it and answer
               the screen with the catalog's `permission` answer keys (docs/permissions.md).
    """

    args: list[str] = Field(default_factory=list)
    policy_args: list[str] | None = None
    data_env: dict[str, Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]] = Field(default_factory=dict)
    rules: list[SignalRule] = Field(default_factory=list)
    delivered: list[str] = Field(default_factory=list)
    asks: list[SignalMatch] = Field(default_factory=list)
    usage: Literal["claude_transcript", "event", "gemini_session", "codex_session", "none"] = "none"

    def asks_permission(self, event: str, payload: dict[str, object]) -> bool:
        return any(match.matches(event, payload) for match in self.asks)

    def state_for(self, event: str, payload: dict[str, object]) -> SignalState | None:
        for rule in self.rules:
            if rule.matches(event, payload):
                return rule.state
        return None


SESSION_PLACEHOLDER = "{session_id}"


class ResumeSpec(_Strict):
    """How the CLI goes on with its own earlier session (`cockpit continue`, comments sent back).

    session_keys: JSON keys that carry the session id in the CLI's output lines or in its
                  hook payloads (claude: session_id, codex: thread_id, opencode: sessionID);
                  the last one seen is the session to resume.
    headless / interactive: the args that replace that mode's args for a resumed round; an
                  element "{session_id}" (an element of its own) becomes the captured id. A
                  mode without them (or a dispatch with no captured id) starts a fresh session
                  that is told what the previous round did.
    """

    session_keys: list[str] = Field(default_factory=lambda: ["session_id"], min_length=1)
    headless: list[str] | None = None
    interactive: list[str] | None = None

    @field_validator("headless", "interactive")
    @classmethod
    def _placeholder_whole(cls, v: list[str] | None) -> list[str] | None:
        for arg in v or []:
            if SESSION_PLACEHOLDER in arg and arg != SESSION_PLACEHOLDER:
                raise ValueError(f'"{{session_id}}" must be an argument of its own, not part of {arg!r}')
        return v

    def args_for(self, mode: str) -> list[str] | None:
        return self.headless if mode == "headless" else self.interactive if mode == "interactive" else None

    def needs_session_id(self, mode: str) -> bool:
        return SESSION_PLACEHOLDER in (self.args_for(mode) or [])


def _tmux_key(key: str) -> str:
    if not key or "\x00" in key or "\n" in key:
        raise ValueError(f"{key!r} is not a tmux key name")
    return key


class AnswerKeys(_Strict):
    """The keys that answer one kind of prompt (tmux key names, sent in order).

    pattern: a regex over the visible screen that identifies this prompt.
    yes / no: e.g. ["1"], ["Enter"], ["y", "Enter"], ["Down", "Enter"], ["Escape"].
    """

    pattern: Regex
    yes: list[Annotated[str, AfterValidator(_tmux_key)]] = Field(min_length=1)
    no: list[Annotated[str, AfterValidator(_tmux_key)]] = Field(min_length=1)

    def matches(self, screen_text: str) -> bool:
        return bool(_compile((self.pattern,))[0].search(strip_ansi(screen_text)))


class Provider(_Strict):
    """One agent CLI: how to find it, launch it, watch it and count what it spent."""

    name: str = Field(pattern=NAME_RE)
    description: str = ""
    binary: str = Field(min_length=1)
    install: str = ""  # how to install the binary; shown when it is missing
    version_args: list[str] = Field(default_factory=lambda: ["--version"])
    default_mode: Mode = "headless"
    headless: HeadlessSpec | None = None
    interactive: InteractiveSpec | None = None
    extra_args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    patterns: ScreenPatterns = Field(default_factory=ScreenPatterns)
    usage_parser: UsageParserName = "none"
    prices: PriceTable | None = None
    signals: SignalSpec | None = None
    answers: dict[str, AnswerKeys] = Field(default_factory=dict)  # prompt type -> keys
    resume: ResumeSpec | None = None  # how a new round goes on with the CLI's own session
    # The CLI versions this entry's args, patterns and signals were checked against (e.g.
    # by the conformance suite); `cockpit providers` warns when the installed one is not listed.
    verified_versions: list[str] = Field(default_factory=list)

    @field_validator("env")
    @classmethod
    def _env_names(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if not ENV_NAME_RE.match(key):
                raise ValueError(f"{key!r} is not a valid environment variable name")
            if "\x00" in value:
                raise ValueError(f"the value of {key} contains a NUL byte")
        return v

    @model_validator(mode="after")
    def _default_mode_exists(self) -> Provider:
        if self.spec(self.default_mode) is None:
            raise ValueError(f'default_mode is "{self.default_mode}" but no {self.default_mode} section is given')
        return self

    def spec(self, mode: str) -> HeadlessSpec | InteractiveSpec | None:
        """The launch spec for `mode`, or None when the provider does not support it."""
        if mode == "headless":
            return self.headless
        if mode == "interactive":
            return self.interactive
        return None

    def answer_for(self, screen_text: str) -> tuple[str, AnswerKeys] | None:
        """The first answer mapping whose pattern is on the screen: (prompt type, keys)."""
        for kind, keys in self.answers.items():
            if keys.matches(screen_text):
                return kind, keys
        return None

    def is_verified(self, version_line: str | None) -> bool | None:
        """Whether the installed version (a `--version` line) is one this entry was verified with;
        None when the entry lists none or the version is unknown."""
        number = version_number(version_line)
        if not self.verified_versions or number is None:
            return None
        return number in {version_number(v) or v for v in self.verified_versions}

    @property
    def modes(self) -> list[str]:
        """Supported modes, the default first."""
        others = [m for m in ("headless", "interactive") if m != self.default_mode and self.spec(m)]
        return [self.default_mode, *others]


_VERSION_NUMBER = re.compile(r"\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?")


def version_number(text: str | None) -> str | None:
    """The version number in a `--version` line: "codex-cli 0.169.0" -> "0.169.0"."""
    match = _VERSION_NUMBER.search(text or "")
    return match.group(0) if match else None


class Catalog(_Strict):
    """All known providers by name (the name is the key in the catalog file)."""

    providers: dict[str, Provider] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _keys_are_names(self) -> Catalog:
        for key, provider in self.providers.items():
            if key != provider.name:
                raise ValueError(f"provider {key!r} has name {provider.name!r}; they must be equal")
        return self

    def get(self, name: str) -> Provider:
        """The provider called `name`; KeyError if the catalog has none."""
        try:
            return self.providers[name]
        except KeyError:
            raise KeyError(name) from None

    def names(self) -> list[str]:
        return sorted(self.providers)
