"""Who is acting: the operator's identity for receipts and approvals."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping
from typing import Any

WORKER_ENV = "COCKPIT_WORKER_ID"  # set in every worker's environment, never by the operator


def operator_actor(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return f"{_user(env)}@{socket.gethostname()}"


def operator_identity(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything an approval should say about who gave it."""
    env = os.environ if env is None else env
    try:
        tty = os.ttyname(0)
    except OSError:
        tty = None
    return {
        "user": _user(env),
        "uid": os.getuid(),
        "host": socket.gethostname(),
        "tty": tty,
        "ssh_client": env.get("SSH_CLIENT") or env.get("SSH_CONNECTION") or None,
        "pid": os.getpid(),
        "worker": env.get(WORKER_ENV) or None,
    }


def inside_worker(env: Mapping[str, str] | None = None) -> str | None:
    """The worker id when this process runs in a worker's environment."""
    env = os.environ if env is None else env
    return env.get(WORKER_ENV) or None


def _user(env: Mapping[str, str]) -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return env.get("USER") or str(os.getuid())
