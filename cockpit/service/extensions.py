"""Supervisor extensions beyond the worker core: the gates and promotion plug in here."""

from __future__ import annotations

from typing import Any


def default_extensions() -> list[Any]:
    from cockpit.service.comments import ReviewLoopService
    from cockpit.service.gates import GateService
    from cockpit.service.notify import NotifyService
    from cockpit.service.permissions import PermissionService

    return [GateService(), NotifyService(), PermissionService(), ReviewLoopService()]
