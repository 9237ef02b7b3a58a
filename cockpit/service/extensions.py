"""Supervisor extensions beyond the worker core (gates and promotion plug in here)."""

from __future__ import annotations

from typing import Any


def default_extensions() -> list[Any]:
    return []
