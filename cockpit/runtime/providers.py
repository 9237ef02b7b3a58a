"""The provider API in one place: load the catalog, find binaries, build launch commands.

The work is split by responsibility: provider_catalog.py (files, merge, validation
errors with file:line) and provider_launch.py (binaries, argv, versions). Import
from here.
"""

from __future__ import annotations

from cockpit.runtime.provider_catalog import (
    catalog_files,
    catalog_from_texts,
    default_catalog_path,
    load_catalog,
    repo_catalog_path,
    user_catalog_path,
)
from cockpit.runtime.provider_launch import (
    FAKE_BINARY,
    MAX_ARG_BYTES,
    LaunchSpec,
    ProviderStatus,
    build_launch,
    list_providers,
    probe_version,
    probe_version_detail,
    resolve_binary,
)

__all__ = [
    "FAKE_BINARY",
    "MAX_ARG_BYTES",
    "LaunchSpec",
    "ProviderStatus",
    "build_launch",
    "catalog_files",
    "catalog_from_texts",
    "default_catalog_path",
    "list_providers",
    "load_catalog",
    "probe_version",
    "probe_version_detail",
    "repo_catalog_path",
    "resolve_binary",
    "user_catalog_path",
]
