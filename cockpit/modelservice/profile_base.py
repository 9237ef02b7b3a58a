"""What an offline profile is: how one CLI is pointed at the scripted model service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cockpit.modelservice.scenario import Scenario


class Profile(Protocol):
    name: str  # the provider name in the catalog

    def prepare(self, home: Path, base_url: str, workdir: Path) -> dict[str, str]:
        """Seed the private `home` (config that points the CLI at `base_url`, onboarding and
        trust flags for `workdir`) and return the environment variables to run the CLI with
        (HOME included)."""
        ...

    def case(self, mode: str, kind: str) -> Case | None:
        """The conformance case `kind` for `mode`, or None when it does not apply."""
        ...


@dataclass(frozen=True)
class Case:
    """One conformance run of a CLI: what the model does and what must happen.

    kind: "happy" (a permission prompt answered yes, the edit lands), "trust" (happy, but the
    worktree is not pre-trusted: cockpit answers the trust prompt), "deny" (answered no:
    no edit), "auth" (the service answers 401), "hang" (the service never answers).
    permission: whether the CLI shows a permission prompt before the edit (in this mode).
    """

    kind: str
    scenario: Scenario
    prompt: str
    edit_path: str = ""
    edit_content: str = ""
    permission: bool = False
