"""YAML files whose every value knows its line: errors name file, line and field.

Every settings file cockpit reads comes through here: `load_model_file` for one file
(the gate file, the policy, `.cockpit/config.yaml`, the user's config, the UI
preferences), and its parts (`read_config_text`, `parse_with_lines`, `located_error`)
for the provider catalog, which merges several files first. Values are read with
yaml's node API (compose), so no value goes unplaced. Every problem is ONE line in one
format, `file:line: field.path: problem`; a problem with no field says what instead
(`file:line: malformed YAML: ...`), and one with the whole file names only the file
(`file: not UTF-8 text`).
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeAlias, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from cockpit.errors import UsageError

FieldPath = tuple[str | int, ...]
# What a settings file holds before validation: yaml's safe values (timestamps and !!binary
# included), with string keys only (to_python refuses any other key).
YamlValue: TypeAlias = list["YamlValue"] | dict[str, "YamlValue"] | str | int | float | bool | None | datetime.date | bytes
YamlMapping: TypeAlias = dict[str, YamlValue]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Parsed:
    label: str
    data: YamlMapping
    lines: dict[FieldPath, int]  # field path -> 1-based line of its key (or list item)


def display_path(path: Path | None) -> str:
    """A path for messages, with the home directory shortened to ~."""
    if path is None:
        return ""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except (ValueError, RuntimeError):
        return str(path)


def config_error(label: str, line: int | None, field: FieldPath | str | None, message: str) -> UsageError:
    """The one error format of settings files: `file:line: field: message` (parts left out when unknown)."""
    where = field if isinstance(field, str) else dotted(field or ())
    head = label if line is None else f"{label}:{line}"
    return UsageError(f"{head}: {where}: {message}" if where else f"{head}: {message}")


def read_config_text(path: Path) -> str:
    """A settings file's text, or UsageError naming the file (not UTF-8, unreadable)."""
    label = display_path(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise config_error(label, None, None, "not UTF-8 text") from None
    except OSError as exc:
        raise config_error(label, None, None, f"cannot read it ({exc.strerror})") from None


def parse_with_lines(label: str, text: str, shape: str) -> Parsed:
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            problem = exc.problem or exc.context or "cannot parse"
            raise config_error(label, line, "malformed YAML", str(problem)) from None
        except yaml.YAMLError as exc:
            raise config_error(label, 1, "malformed YAML", str(exc)) from None
        lines: dict[FieldPath, int] = {(): 1}
        data = {} if node is None else to_python(loader, node, (), lines, label)
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise config_error(label, 1, None, shape)
    return Parsed(label, data, lines)


def to_python(loader: yaml.SafeLoader, node: yaml.Node, path: FieldPath, lines: dict[FieldPath, int], label: str) -> YamlValue:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<` merge keys like safe_load does
        out: YamlMapping = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise config_error(label, line, dotted(path) or "top level", "keys must be plain strings")
            if key in out:
                raise config_error(label, line, (*path, key), "duplicate key")
            lines[(*path, key)] = line
            out[key] = to_python(loader, value_node, (*path, key), lines, label)
        return out
    if isinstance(node, yaml.SequenceNode):
        items: list[YamlValue] = []
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
    return config_error(label, line, dotted(loc) or "file", message + suffix)


def dotted(path: FieldPath) -> str:
    return ".".join(str(p) for p in path)


@dataclass(frozen=True)
class Loaded(Generic[M]):
    """A validated file, with the lines of its fields for the checks that follow validation."""

    value: M
    parsed: Parsed

    def error(self, where: FieldPath, message: str) -> UsageError:
        """`file:line: field: message`, at the line of `where` (or of its nearest parent that has one)."""
        lines = self.parsed.lines
        line = next((lines[where[:n]] for n in range(len(where), -1, -1) if where[:n] in lines), 1)
        return config_error(self.parsed.label, line, where, message)


def load_model_file(path: Path, model: type[M], *, shape: str, docs: str) -> Loaded[M]:
    """THE way cockpit reads one settings file: YAML into `model`, or UsageError `file:line: field: message`.

    `shape` is the message for a file that is not a mapping; `docs` names where the fields are listed.
    """
    label = display_path(path)
    text = read_config_text(path)
    parsed = parse_with_lines(label, text, shape)
    try:
        return Loaded(model.model_validate(parsed.data), parsed)
    except ValidationError as exc:
        origin = {field: (label, line) for field, line in parsed.lines.items()}
        raise located_error(exc, origin, [(label, text)], docs) from None


def merge_located(base: YamlMapping, parsed: Parsed, path: FieldPath, origin: dict[FieldPath, tuple[str, int]]) -> None:
    """Deep-merge one parsed file into `base` at `path`, recording in `origin` which file and
    line supplied each value: a later value replaces an earlier one, mappings merge, lists
    are replaced whole."""
    _merge(base, _at(parsed.data, path), parsed, path, origin)


def _merge(
    base: YamlMapping, layer: YamlMapping, parsed: Parsed, path: FieldPath, origin: dict[FieldPath, tuple[str, int]]
) -> None:
    for key, value in layer.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(into := base.get(key), dict):
            origin[here] = (parsed.label, parsed.lines[here])  # the latest file to touch a mapping owns it
            _merge(into, value, parsed, here, origin)
            continue
        for stale in [p for p in origin if p[: len(here)] == here]:
            del origin[stale]
        base[key] = copy.deepcopy(value)
        for sub, line in parsed.lines.items():
            if sub[: len(here)] == here:
                origin[sub] = (parsed.label, line)


def _at(data: YamlMapping, path: FieldPath) -> YamlMapping:
    for key in path:
        inner = data[str(key)]  # a path into mappings: its keys are strings
        if not isinstance(inner, dict):
            raise KeyError(f"{dotted(path)}: {key} is not a mapping")
        data = inner
    return data
