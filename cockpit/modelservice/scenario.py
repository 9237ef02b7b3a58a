"""What the scripted model does, turn by turn (pure data, loadable from YAML or JSON).

A scenario is a list of turns. Each main conversation request that an agent CLI sends
consumes the next turn; the wire module turns it into that API's answer (text, a tool
call that writes a file, a shell tool call, an error status, or a response that never
comes). Each turn carries the exact usage the answer reports, so a test can compare
cockpit's token figures with the scenario's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cockpit.errors import UsageError

TurnKind = Literal["text", "write_file", "shell", "error", "hang"]


class TurnUsage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input_tokens: int = Field(default=100, ge=0)
    output_tokens: int = Field(default=20, ge=0)
    cache_read_input_tokens: int = Field(default=0, ge=0)
    cache_creation_input_tokens: int = Field(default=0, ge=0)


class Turn(BaseModel):
    """One model answer.

    text:       the assistant's text (for tool turns: said before the tool call).
    write_file: a tool call that writes `content` to `path` (relative paths are resolved
                against the CLI's working directory by the wire module).
    shell:      a tool call that runs `command`.
    error:      an HTTP error `status` with `message`, in the API's own error shape.
    hang:       the response never comes (held open until the service stops).
    repeat:     how many requests this turn answers before the next one is used
                (0 = every request from here on; useful for errors a CLI retries).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: TurnKind
    text: str = ""
    path: str = ""
    content: str = ""
    command: str = ""
    status: int = Field(default=500, ge=400, le=599)
    message: str = ""
    usage: TurnUsage = Field(default_factory=TurnUsage)
    repeat: int = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Turn:
        if self.kind == "write_file" and not self.path:
            raise ValueError("a write_file turn needs a path")
        if self.kind == "shell" and not self.command:
            raise ValueError("a shell turn needs a command")
        return self


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "scenario"
    turns: list[Turn] = Field(default_factory=list)

    def total_usage(self, kinds: tuple[str, ...] = ("text", "write_file", "shell")) -> TurnUsage:
        """The sum of the usage that the answering turns report (what a CLI should count)."""
        picked = [t.usage for t in self.turns if t.kind in kinds]
        return TurnUsage(
            input_tokens=sum(u.input_tokens for u in picked),
            output_tokens=sum(u.output_tokens for u in picked),
            cache_read_input_tokens=sum(u.cache_read_input_tokens for u in picked),
            cache_creation_input_tokens=sum(u.cache_creation_input_tokens for u in picked),
        )


def load_scenario(path: Path) -> Scenario:
    """A scenario from a .yaml/.yml/.json file; UsageError with the file name when invalid."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read scenario {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw) if path.suffix == ".json" else yaml.safe_load(raw)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'} ({exc})") from None
    try:
        return Scenario.model_validate(data if data is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"{path}: {where}: {first['msg']}") from None


# Built-in scenarios (used by the conformance runner and `python -m cockpit.modelservice`).


def edit_with_permission(
    path: str = "hello.txt", content: str = "hi from the model service\n", usage: TurnUsage | None = None
) -> Scenario:
    """A tool call that writes `path` (needs the CLI's permission), then a closing text turn."""
    first = usage or TurnUsage(input_tokens=123, output_tokens=45)
    second = TurnUsage(input_tokens=first.input_tokens + 30, output_tokens=12)
    return Scenario(
        name="edit_with_permission",
        turns=[
            Turn(kind="write_file", path=path, content=content, text=f"I will create {path}.", usage=first),
            Turn(kind="text", text=f"Done: wrote {path}.", usage=second),
        ],
    )


def shell_with_permission(command: str = "echo hi > shell.txt") -> Scenario:
    """A shell tool call (needs the CLI's permission), then a closing text turn."""
    return Scenario(
        name="shell_with_permission",
        turns=[
            Turn(kind="shell", command=command, text="Running a command.", usage=TurnUsage(input_tokens=110, output_tokens=30)),
            Turn(kind="text", text="Done: ran the command.", usage=TurnUsage(input_tokens=150, output_tokens=10)),
        ],
    )


def text_reply(text: str = "Hello from the model service.") -> Scenario:
    return Scenario(name="text_reply", turns=[Turn(kind="text", text=text, usage=TurnUsage(input_tokens=50, output_tokens=8))])


def error_reply(status: int = 401, message: str = "invalid x-api-key") -> Scenario:
    """Every request is answered with this error status (CLIs retry 429/5xx)."""
    return Scenario(name=f"error_{status}", turns=[Turn(kind="error", status=status, message=message, repeat=0)])


def hang() -> Scenario:
    """The first request is never answered."""
    return Scenario(name="hang", turns=[Turn(kind="hang", repeat=0)])


BUILTIN: dict[str, Callable[[], Scenario]] = {
    "edit_with_permission": edit_with_permission,
    "shell_with_permission": shell_with_permission,
    "text_reply": text_reply,
    "error_401": lambda: error_reply(401, "invalid x-api-key"),
    "error_429": lambda: error_reply(429, "rate limited by the scripted model service"),
    "error_500": lambda: error_reply(500, "internal error from the scripted model service"),
    "error_529": lambda: error_reply(529, "overloaded (scripted)"),
    "hang": hang,
}
