"""The repository's gate configuration: `.cockpit/gates.yaml`, a file the team may commit."""

from __future__ import annotations

from pathlib import Path

from cockpit.domain.gates import GatesConfig
from cockpit.errors import UsageError
from cockpit.runtime.yaml_lines import display_path, load_model_file

DOCS = "docs/gates.md"


def gates_path(repo_root: Path) -> Path:
    return Path(repo_root) / ".cockpit" / "gates.yaml"


def load_gates(repo_root: Path) -> GatesConfig:
    path = gates_path(repo_root)
    if not path.exists():
        return GatesConfig()
    config = load_model_file(path, GatesConfig, shape="the gate file must be a mapping (gates:, protected_paths:, "
                             "required:)", docs=DOCS)
    assert isinstance(config, GatesConfig)
    for name, spec in config.gates.items():
        if name in ("scope", "conflicts") and spec.kind != name:
            raise UsageError(f"{display_path(path)}: gates.{name}: the name {name!r} is reserved for the "
                             f"built-in {name} gate")
        try:
            spec.check_complete()
        except ValueError as exc:
            raise UsageError(f"{display_path(path)}: gates.{name}: {exc}") from None
    return config
