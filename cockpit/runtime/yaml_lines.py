"""YAML files whose every value knows its line: errors name file, line and field.

Used by the provider catalog and the gate configuration. Values are read with
yaml's node API (compose), so no value goes unplaced; a pydantic validation error
is reported as ONE line, `file:line: field.path: problem`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from cockpit.errors import UsageError

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Parsed:
    label: str
    data: dict[str, Any]
    lines: dict[FieldPath, int]  # field path -> 1-based line of its key (or list item)


def display_path(path: Path | None) -> str:
    """A path for messages, with the home directory shortened to ~."""
    if path is None:
        return ""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except (ValueError, RuntimeError):
        return str(path)


def parse_with_lines(label: str, text: str, shape: str) -> Parsed:
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
        data = {} if node is None else to_python(loader, node, (), lines, label)
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise UsageError(f"{label}:1: {shape}")
    return Parsed(label, data, lines)


def to_python(loader: yaml.SafeLoader, node: yaml.Node, path: FieldPath, lines: dict[FieldPath, int], label: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<` merge keys like safe_load does
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise UsageError(f"{label}:{line}: {dotted(path) or 'top level'}: keys must be plain strings")
            if key in out:
                raise UsageError(f"{label}:{line}: {dotted((*path, key))}: duplicate key")
            lines[(*path, key)] = line
            out[key] = to_python(loader, value_node, (*path, key), lines, label)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            items.append(to_python(loader, item, (*path, index), lines, label))
        return items
    return loader.construct_object(node, deep=True)


def located_error(
    exc: ValidationError, origin: dict[FieldPath, tuple[str, int]], files: list[tuple[str, str]], docs: str
) -> UsageError:
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
        message = f"unknown field ({docs} lists the fields)"
    elif error["type"] == "missing":
        message = "required field is missing"
    more = len(located) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return UsageError(f"{label}:{line}: {dotted(loc) or 'file'}: {message}{suffix}")


def dotted(path: FieldPath) -> str:
    return ".".join(str(p) for p in path)


def load_model_file(path: Path, model: type[BaseModel], *, shape: str, docs: str) -> BaseModel:
    """Read one YAML file into `model`, or raise UsageError naming file, line and field."""
    label = display_path(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{label}: not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"{label}: cannot read it ({exc.strerror})") from None
    parsed = parse_with_lines(label, text, shape)
    try:
        return model.model_validate(parsed.data)
    except ValidationError as exc:
        origin = {path: (label, line) for path, line in parsed.lines.items()}
        raise located_error(exc, origin, [(label, text)], docs) from None


def merge_located(base: dict[str, Any], parsed: Parsed, path: FieldPath, origin: dict[FieldPath, tuple[str, int]]) -> None:
    """Deep-merge one parsed file into `base` at `path`, recording in `origin` which file and
    line supplied each value: a later value replaces an earlier one, mappings merge, lists
    are replaced whole."""
    layer = _at(parsed.data, path)
    for key, value in layer.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            origin[here] = (parsed.label, parsed.lines[here])  # the latest file to touch a mapping owns it
            merge_located(base[key], parsed, here, origin)
            continue
        for stale in [p for p in origin if p[: len(here)] == here]:
            del origin[stale]
        base[key] = copy.deepcopy(value)
        for sub, line in parsed.lines.items():
            if sub[: len(here)] == here:
                origin[sub] = (parsed.label, line)


def _at(data: dict[str, Any], path: FieldPath) -> dict[str, Any]:
    for key in path:
        data = data[str(key)]  # a path into mappings: its keys are strings
    return data
