"""The architecture's import boundaries, enforced (see DEVELOPERS.md).

domain < ledger, store < runtime < service < ui < cli. A module may import cockpit
modules of its own layer or below, never above; ledger never imports store.
modelservice (the scripted model service) sits beside ledger/store: it imports only the
domain, and only service, ui and cli import it.
Only cockpit/ui imports Textual; the UI never drives processes or git itself;
the domain does no I/O.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cockpit"
RANK = {"domain": 0, "ledger": 1, "store": 1, "runtime": 2, "service": 3, "ui": 4, "cli": 5, "modelservice": 1}
BASE = {"errors", "__init__", "__main__", "__version__", "data"}  # importable from anywhere
STANDALONE = {"fake_agent"}  # a separate program: may import only the base modules
DOMAIN_FORBIDDEN = {
    "os",
    "sys",
    "subprocess",
    "socket",
    "sqlite3",
    "shutil",
    "fcntl",
    "tempfile",
    "asyncio",
    "time",
    "libtmux",
    "git",
    "watchfiles",
    "textual",
}
UI_FORBIDDEN = {"subprocess", "libtmux", "git", "sqlite3", "pty"}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def part_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            if node.module == "cockpit":
                found += [f"cockpit.{alias.name}" for alias in node.names]
    return found


def target_part(name: str) -> str | None:
    pieces = name.split(".")
    return pieces[1] if pieces[0] == "cockpit" and len(pieces) > 1 else None


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_respects_the_layers(path: Path) -> None:
    part = part_of(path)
    for name in imports(path):
        top = name.split(".")[0]
        if top == "textual":
            assert part == "ui", f"{name} imported outside cockpit/ui"
        if part == "domain":
            assert top not in DOMAIN_FORBIDDEN, f"the domain does no I/O, but imports {name}"
        if part == "ui":
            assert top not in UI_FORBIDDEN, f"the UI asks the service layer; it imports {name}"
        target = target_part(name)
        if target is None or target in BASE or target == part:
            continue
        if part in STANDALONE:
            pytest.fail(f"{path.name} is a standalone program but imports {name}")
        if part in BASE:
            continue
        assert target in RANK, f"unknown part of the package: {name}"
        if part in ("ledger", "modelservice"):
            assert target == "domain", f"{part} imports only the domain, not {name}"
        if target == "modelservice":
            assert part in ("service", "ui", "cli"), f"{part} may not import {name}"
        assert RANK[target] <= RANK[part], f"{part} may not import {name} (a layer above it)"


def test_the_scan_sees_the_whole_package() -> None:
    parts = {part_of(p) for p in modules()}
    assert {"domain", "ledger", "store", "runtime", "service", "cli", "modelservice"} <= parts


# Where a worker runs is the Executor's business (cockpit/runtime/executor.py): the service
# layer drives workers through it and knows neither tmux nor /proc.
TMUX_ADAPTER = ("cockpit.runtime.tmux", "libtmux")
WORKER_CORE = ("context", "workers", "worker_input", "monitor", "signals", "recovery", "scheduler", "flow", "operations")
EXTENSIONS = ("cockpit.service.gates", "cockpit.service.notify", "cockpit.service.permissions", "cockpit.service.promotion_ops")


def service_modules() -> list[Path]:
    return [p for p in modules() if part_of(p) == "service"]


@pytest.mark.parametrize("path", service_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_service_layer_knows_no_tmux_and_no_proc(path: Path) -> None:
    for name in imports(path):
        assert not name.startswith(TMUX_ADAPTER), f"{name} is the local executor's business (runtime/local_executor.py)"
    assert "/proc/" not in path.read_text(encoding="utf-8"), "process trees are the executor's business (runtime/proctree.py)"


@pytest.mark.parametrize("name", WORKER_CORE)
def test_the_worker_core_imports_no_extension(name: str) -> None:
    path = PACKAGE / "service" / f"{name}.py"
    for found in imports(path):
        assert not found.startswith(EXTENSIONS), f"service/{name}.py imports {found}: extensions plug in through service/flow.py"


def test_the_scan_sees_the_service_layer() -> None:
    names = {p.stem for p in service_modules()}
    assert {"supervisor", "monitor", "workers", "context"} <= names
