"""Install the pinned agent CLIs (pins.toml) into the CLI cache, only what is missing or different.

    python tests/conformance/install_clis.py [--check]

Cache: ${COCKPIT_CLI_CACHE:-$HOME/.cache/cockpit/agent-clis}: npm packages under npm/
(npm install --prefix), each PyPI CLI in its own venv. --check installs nothing and
exits 1 when something is missing. Needs node/npm (.ci/run installs them with apt).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

PINS = Path(__file__).with_name("pins.toml")


def cache_dir() -> Path:
    return Path(os.environ.get("COCKPIT_CLI_CACHE") or Path.home() / ".cache" / "cockpit" / "agent-clis")


def pins() -> dict:
    return tomllib.loads(PINS.read_text(encoding="utf-8"))


def npm_installed(cache: Path, package: str) -> str | None:
    manifest = cache / "npm" / "node_modules" / package / "package.json"
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None


def pypi_installed(cache: Path, name: str, package: str) -> str | None:
    python = cache / name / "bin" / "python"
    if not python.exists():
        return None
    out = subprocess.run([str(python), "-m", "pip", "show", package], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    return None


def missing(cache: Path) -> tuple[list[str], list[tuple[str, str, str]]]:
    data = pins()
    npm = [f"{pkg}@{ver}" for pkg, ver in data.get("npm", {}).items() if npm_installed(cache, pkg) != ver]
    pypi = [
        (name, spec["package"], spec["version"])
        for name, spec in data.get("pypi", {}).items()
        if pypi_installed(cache, name, spec["package"]) != spec["version"]
    ]
    return npm, pypi


def main(argv: list[str]) -> int:
    cache = cache_dir()
    npm, pypi = missing(cache)
    if not npm and not pypi:
        print(f"agent CLIs: all pinned versions present in {cache}")
        return 0
    if "--check" in argv:
        print(f"agent CLIs missing from {cache}: {', '.join(npm + [f'{p}=={v}' for _, p, v in pypi])}")
        return 1
    if npm:
        if shutil.which("npm") is None:
            print("install_clis: npm is not installed (apt-get install nodejs npm)", file=sys.stderr)
            return 2
        (cache / "npm").mkdir(parents=True, exist_ok=True)
        print(f"installing into {cache / 'npm'}: {' '.join(npm)}", flush=True)
        subprocess.run(["npm", "install", "--prefix", str(cache / "npm"), "--no-audit", "--no-fund", *npm], check=True)
    for name, package, version in pypi:
        venv = cache / name
        print(f"installing into {venv}: {package}=={version}", flush=True)
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"{package}=={version}"], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
