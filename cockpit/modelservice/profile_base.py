"""What an offline profile is: how one CLI is pointed at the scripted model service."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Profile(Protocol):
    name: str  # the provider name in the catalog

    def prepare(self, home: Path, base_url: str, workdir: Path) -> dict[str, str]:
        """Seed the private `home` (config that points the CLI at `base_url`, onboarding and
        trust flags for `workdir`) and return the environment variables to run the CLI with
        (HOME included)."""
        ...
