"""The conformance suite: real agent CLIs (pinned in pins.toml) against the scripted model service.

Every test here is marked `conformance` (run them alone with `-m conformance`). The CLIs
come from the cache install_clis.py fills; a missing one fails the test with the command
that installs it (CI runs the installer first).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from install_clis import cache_dir, pins  # noqa: E402

PYPI_BIN = {"aider": "aider"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.conformance)


class CliBinaries:
    """The path of each pinned CLI's binary in the cache (claude, codex, gemini, opencode, aider)."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.versions = {pkg.rsplit("/", 1)[-1]: ver for pkg, ver in pins().get("npm", {}).items()}
        self.versions.update({name: spec["version"] for name, spec in pins().get("pypi", {}).items()})

    def path(self, name: str) -> Path:
        npm_names = {"claude": "claude", "codex": "codex", "gemini": "gemini", "opencode": "opencode"}
        if name in npm_names:
            path = self.cache / "npm" / "node_modules" / ".bin" / npm_names[name]
        else:
            path = self.cache / name / "bin" / PYPI_BIN.get(name, name)
        if not path.exists():
            pytest.fail(f"{name} is not installed at {path}: run `python tests/conformance/install_clis.py`")
        return path


@pytest.fixture(scope="session")
def cli_binaries() -> CliBinaries:
    return CliBinaries(cache_dir())
