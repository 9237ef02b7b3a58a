"""`cockpit providers` shows each provider's `description`, as docs/providers.md says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_providers_shows_each_description_including_a_repositorys_own(repo: Path) -> None:
    (repo / ".cockpit").mkdir()
    (repo / ".cockpit" / "providers.yaml").write_text(
        "providers:\n  mine:\n    description: our team's wrapper around the fake agent\n"
        "    binary: cockpit-fake-agent\n    headless: {args: [-p, '-'], prompt_via: stdin}\n"
    )

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cockpit", "providers", *a],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ),
            check=True,
        )

    lines = run().stdout.splitlines()
    mine = next(i for i, line in enumerate(lines) if line.startswith("mine "))
    assert lines[mine + 1].strip() == "our team's wrapper around the fake agent"
    fake = next(i for i, line in enumerate(lines) if line.startswith("fake "))
    assert lines[fake + 1].strip() == "cockpit's bundled fake agent (for tests and demos)"
    listed = {p["name"]: p for p in json.loads(run("--json").stdout)}
    assert listed["mine"]["description"] == "our team's wrapper around the fake agent"
