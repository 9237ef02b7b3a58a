"""The repository's settings, `.cockpit/config.yaml`: a name kept for its importers.

The model and its loading live in `service/settings.py`, with the other settings.
"""

from __future__ import annotations

from cockpit.service.settings import CheckpointConfig, RepoConfig, SupervisorConfig, config_path, load_config

__all__ = ["CheckpointConfig", "RepoConfig", "SupervisorConfig", "config_path", "load_config"]
