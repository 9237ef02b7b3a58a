"""Load `hosts.yaml`: the user's file, then the repository's, merged like the provider catalog.

    ~/.config/cockpit/hosts.yaml   (really $XDG_CONFIG_HOME/cockpit/hosts.yaml)
    <repo>/.cockpit/hosts.yaml

A later file adds hosts or overrides fields of earlier ones (mappings merge, lists are
replaced whole). Problems are ONE line naming the file and line that supplied the value:

    ~/.config/cockpit/hosts.yaml:4: hosts.build1.capacity: Input should be greater than or equal to 1
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from cockpit.domain.hosts import HostsFile
from cockpit.errors import UsageError
from cockpit.runtime.provider_catalog import user_catalog_path
from cockpit.runtime.yaml_lines import FieldPath, YamlMapping, display_path, located_error, merge_located, parse_with_lines

HOSTS_NAME = "hosts.yaml"
DOCS = "docs/hosts.md"


def user_hosts_path(user_config_dir: Path | None = None) -> Path:
    return user_catalog_path(user_config_dir).with_name(HOSTS_NAME)


def repo_hosts_path(repo_root: Path) -> Path:
    return repo_root / ".cockpit" / HOSTS_NAME


def hosts_files(repo_root: Path | None, user_config_dir: Path | None = None) -> list[Path]:
    """The hosts files that exist, in merge order: user, repository."""
    candidates = [user_hosts_path(user_config_dir)]
    if repo_root is not None:
        candidates.append(repo_hosts_path(repo_root))
    return [p for p in candidates if p.is_file()]


def load_hosts(repo_root: Path | None, *, user_config_dir: Path | None = None) -> HostsFile:
    """The merged, validated hosts. No file at all: no hosts. Bad input raises UsageError."""
    return hosts_from_texts([(display_path(p), _read(p)) for p in hosts_files(repo_root, user_config_dir)])


def hosts_from_texts(files: list[tuple[str, str]]) -> HostsFile:
    """Merge and validate hosts texts given as (label, yaml text), in merge order."""
    merged: YamlMapping = {}
    origin: dict[FieldPath, tuple[str, int]] = {}
    for label, text in files:
        parsed = parse_with_lines(label, text, "the hosts file must be a mapping with a `hosts:` key")
        for section in ("hosts", "placement"):
            if parsed.data.get(section, {}) is None:
                parsed.data[section] = {}  # a bare `hosts:` or `placement:` adds nothing
        hosts = parsed.data.get("hosts")
        if isinstance(hosts, dict):
            for key, entry in hosts.items():
                if entry is None:
                    hosts[key] = {}
                elif isinstance(entry, dict) and "name" in entry:
                    line = parsed.lines.get(("hosts", key, "name"), 1)
                    raise UsageError(f"{label}:{line}: hosts.{key}.name: leave it out (the key names the host)")
        merge_located(merged, parsed, (), origin)
    hosts = merged.get("hosts")
    if isinstance(hosts, dict):
        for key, entry in hosts.items():
            if isinstance(entry, dict):
                entry["name"] = key
                origin.setdefault(("hosts", key, "name"), origin.get(("hosts", key), (files[-1][0], 1)))
    if not files:
        return HostsFile()
    try:
        return HostsFile.model_validate(merged)
    except ValidationError as exc:
        raise located_error(exc, origin, files, DOCS) from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{display_path(path)}: not UTF-8 text; save the hosts file as UTF-8") from None
    except OSError as exc:
        raise UsageError(f"{display_path(path)}: cannot read the hosts file ({exc.strerror})") from None
