"""Load the provider catalog: the shipped default, then the user's file, then the repository's.

Each later file may add providers or override fields of earlier ones (deep merge per
provider: a field given later replaces the earlier one; nested mappings merge; lists
are replaced whole). The merged result is validated once with pydantic, and the first
problem is reported as ONE line naming the file and line that supplied the bad value:

    ~/.config/cockpit/providers.yaml:12: providers.claude.headless.args: Input should be a valid list

Line numbers come from yaml's node API (compose), so no YAML value goes unplaced.
"""

from __future__ import annotations

import copy
import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cockpit.domain.provider import Catalog
from cockpit.errors import UsageError

FieldPath = tuple[str | int, ...]
CATALOG_NAME = "providers.yaml"


@dataclass(frozen=True)
class _Parsed:
    label: str
    data: dict[str, Any]
    lines: dict[FieldPath, int]  # field path -> 1-based line of its key (or list item)


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
    files = [(_display(default_catalog_path()) or "cockpit/data/providers.yaml", default_catalog_text())]
    for path in (user_catalog_path(user_config_dir), repo_catalog_path(repo_root) if repo_root else None):
        if path is not None and path.is_file():
            files.append((_display(path), _read(path)))
    return catalog_from_texts(files)


def catalog_from_texts(files: list[tuple[str, str]]) -> Catalog:
    """Merge and validate catalog texts given as (label, yaml text), in merge order.

    Separate from load_catalog so the merge and the error reporting can be checked on
    texts alone; labels appear verbatim in error messages.
    """
    merged: dict[str, Any] = {}
    origin: dict[FieldPath, tuple[str, int]] = {}
    for label, text in files:
        parsed = _parse(label, text)
        _empty_means_no_change(parsed.data)
        _merge(merged, parsed, (), origin)
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
        raise _located_error(exc, origin, files) from None


def _empty_means_no_change(data: dict[str, Any]) -> None:
    """A bare `providers:` or `claude:` (a half-written file) adds nothing, rather than
    replacing what earlier files said with null."""
    if "providers" in data and data["providers"] is None:
        data["providers"] = {}
    providers = data.get("providers")
    if isinstance(providers, dict):
        for key, entry in providers.items():
            if entry is None:
                providers[key] = {}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{_display(path)}: not UTF-8 text; save the catalog as UTF-8") from None
    except OSError as exc:
        raise UsageError(f"{_display(path)}: cannot read the catalog ({exc.strerror})") from None


def _display(path: Path | None) -> str:
    """A path for messages, with the home directory shortened to ~."""
    if path is None:
        return ""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except (ValueError, RuntimeError):
        return str(path)


def _parse(label: str, text: str) -> _Parsed:
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            problem = exc.problem or exc.context or "cannot parse"
            raise UsageError(f"{label}:{line}: malformed YAML: {problem}") from None
        except yaml.YAMLError as exc:
            raise UsageError(f"{label}:1: malformed YAML: {exc}") from None
        lines: dict[FieldPath, int] = {(): 1}
        data = {} if node is None else _to_python(loader, node, (), lines, label)
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise UsageError(f"{label}:1: the catalog must be a mapping with a `providers:` key")
    return _Parsed(label, data, lines)


def _to_python(loader: yaml.SafeLoader, node: yaml.Node, path: FieldPath, lines: dict[FieldPath, int], label: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<` merge keys like safe_load does
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise UsageError(f"{label}:{line}: {_dotted(path) or 'top level'}: keys must be plain strings")
            if key in out:
                raise UsageError(f"{label}:{line}: {_dotted((*path, key))}: duplicate key")
            lines[(*path, key)] = line
            out[key] = _to_python(loader, value_node, (*path, key), lines, label)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            items.append(_to_python(loader, item, (*path, index), lines, label))
        return items
    return loader.construct_object(node, deep=True)


def _merge(base: dict[str, Any], parsed: _Parsed, path: FieldPath, origin: dict[FieldPath, tuple[str, int]]) -> None:
    layer = _at(parsed.data, path)
    for key, value in layer.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            origin[here] = (parsed.label, parsed.lines[here])  # the latest file to touch a mapping owns it
            _merge(base[key], parsed, here, origin)
            continue
        for stale in [p for p in origin if p[: len(here)] == here]:
            del origin[stale]
        base[key] = copy.deepcopy(value)
        for sub, line in parsed.lines.items():
            if sub[: len(here)] == here:
                origin[sub] = (parsed.label, line)


def _at(data: dict[str, Any], path: FieldPath) -> dict[str, Any]:
    for key in path:
        data = data[key]
    return data


def _located_error(exc: ValidationError, origin: dict[FieldPath, tuple[str, int]], files: list[tuple[str, str]]) -> UsageError:
    order = {label: index for index, (label, _) in enumerate(files)}
    located = []
    for error in exc.errors(include_url=False):
        loc: FieldPath = tuple(error["loc"])
        label, line = files[-1][0], 1
        for depth in range(len(loc), -1, -1):
            if loc[:depth] in origin:
                label, line = origin[loc[:depth]]
                break
        located.append((order.get(label, len(files)), line, label, loc, error))
    # Report the problem that comes first in reading order (file, then line).
    _, line, label, loc, error = min(located, key=lambda item: item[:2])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field (docs/providers.md lists the fields)"
    elif error["type"] == "missing":
        message = "required field is missing"
    more = len(located) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return UsageError(f"{label}:{line}: {_dotted(loc) or 'catalog'}: {message}{suffix}")


def _dotted(path: FieldPath) -> str:
    return ".".join(str(p) for p in path)
