"""Load the provider catalog: the shipped default, then the user's file, then the repository's.

Each later file may add providers or override fields of earlier ones (deep merge per
provider: a field given later replaces the earlier one; nested mappings merge; lists
are replaced whole). The merged result is validated once with pydantic, and the first
problem is reported as ONE line naming the file and line that supplied the bad value:

    ~/.config/cockpit/providers.yaml:12: providers.claude.headless.args: Input should be a valid list

Line numbers come from yaml's node API (compose), so no YAML value goes unplaced.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

from pydantic import ValidationError

from cockpit.domain.provider import Catalog
from cockpit.errors import UsageError
from cockpit.runtime.yaml_lines import (
    FieldPath,
    YamlMapping,
    display_path,
    located_error,
    merge_located,
    parse_with_lines,
    read_config_text,
)

CATALOG_NAME = "providers.yaml"


def default_catalog_text() -> str:
    """The catalog shipped in the package (cockpit/data/providers.yaml)."""
    return (importlib.resources.files("cockpit") / "data" / CATALOG_NAME).read_text(encoding="utf-8")


def default_catalog_path() -> Path | None:
    """The shipped catalog as a file path, when the package is installed as files (not a zip)."""
    resource = importlib.resources.files("cockpit") / "data" / CATALOG_NAME
    path = Path(str(resource))
    return path if path.is_file() else None


def user_catalog_path(user_config_dir: Path | None = None) -> Path:
    """`<user_config_dir>/providers.yaml`; by default `$XDG_CONFIG_HOME/cockpit/providers.yaml`.

    `user_config_dir` is cockpit's own config directory (e.g. ~/.config/cockpit), not the XDG base.
    """
    if user_config_dir is None:
        xdg = os.environ.get("XDG_CONFIG_HOME", "")
        # The XDG spec says a relative value is invalid and must be ignored.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".config"
        user_config_dir = base / "cockpit"
    return user_config_dir / CATALOG_NAME


def repo_catalog_path(repo_root: Path) -> Path:
    return repo_root / ".cockpit" / CATALOG_NAME


def catalog_files(repo_root: Path | None, user_config_dir: Path | None = None) -> list[Path]:
    """The catalog files that exist, in merge order: shipped default, user, repository."""
    candidates: list[Path | None] = [default_catalog_path(), user_catalog_path(user_config_dir)]
    if repo_root is not None:
        candidates.append(repo_catalog_path(repo_root))
    return [p for p in candidates if p is not None and p.is_file()]


def load_catalog(repo_root: Path | None, *, user_config_dir: Path | None = None) -> Catalog:
    """The merged, validated catalog. Raises UsageError naming file:line: field on bad input."""
    files = [(display_path(default_catalog_path()) or "cockpit/data/providers.yaml", default_catalog_text())]
    for path in (user_catalog_path(user_config_dir), repo_catalog_path(repo_root) if repo_root else None):
        if path is not None and path.is_file():
            files.append((display_path(path), read_config_text(path)))
    return catalog_from_texts(files)


def catalog_from_texts(files: list[tuple[str, str]]) -> Catalog:
    """Merge and validate catalog texts given as (label, yaml text), in merge order.

    Separate from load_catalog so the merge and the error reporting can be checked on
    texts alone; labels appear verbatim in error messages.
    """
    merged: YamlMapping = {}
    origin: dict[FieldPath, tuple[str, int]] = {}
    for label, text in files:
        parsed = parse_with_lines(label, text, "the catalog must be a mapping with a `providers:` key")
        _empty_means_no_change(parsed.data)
        merge_located(merged, parsed, (), origin)
    providers = merged.get("providers")
    if isinstance(providers, dict):
        for key, entry in providers.items():
            if not isinstance(entry, dict):
                continue
            if "name" not in entry:
                entry["name"] = key  # the key names the provider; files need not repeat it
            elif entry["name"] != key:
                label, line = origin.get(("providers", key, "name"), (files[-1][0], 1))
                raise UsageError(f"{label}:{line}: providers.{key}.name: must be {key!r} (the key) or left out")
    try:
        return Catalog.model_validate(merged)
    except ValidationError as exc:
        raise located_error(exc, origin, files, "docs/providers.md") from None


def _empty_means_no_change(data: YamlMapping) -> None:
    """A bare `providers:` or `claude:` (a half-written file) adds nothing, rather than
    replacing what earlier files said with null."""
    if "providers" in data and data["providers"] is None:
        data["providers"] = {}
    providers = data.get("providers")
    if isinstance(providers, dict):
        for key, entry in providers.items():
            if entry is None:
                providers[key] = {}
