"""Who is acting: the operator's identity for receipts and approvals."""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Mapping
from typing import TypedDict

WORKER_ENV = "COCKPIT_WORKER_ID"  # set in every worker's environment, never by the operator
WEB_CLIENT_ENV = "COCKPIT_WEB_CLIENT"  # set by `cockpit serve` for the TUI a browser drives


def operator_actor(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    actor = f"{_user(env)}@{socket.gethostname()}"
    web = web_client(env)
    if web is not None:
        actor += f" via browser {web.get('address') or '?'}"
    return actor


class OperatorIdentity(TypedDict):
    """Who the operator is, as a request's `identity` carries it (the protocol's `Identity`:
    a TypedDict here, so a CLI command that sends it loads no pydantic)."""

    user: str
    uid: int
    host: str
    tty: str | None
    ssh_client: str | None
    pid: int
    worker: str | None  # set when asked from inside a worker
    web_client: dict[str, str] | None  # the browser behind a `cockpit serve` TUI


def operator_identity(env: Mapping[str, str] | None = None) -> OperatorIdentity:
    """Everything an approval should say about who gave it."""
    env = os.environ if env is None else env
    try:
        tty = os.ttyname(0)
    except OSError:
        tty = None
    return OperatorIdentity(
        user=_user(env),
        uid=os.getuid(),
        host=socket.gethostname(),
        tty=tty,
        ssh_client=env.get("SSH_CLIENT") or env.get("SSH_CONNECTION") or None,
        pid=os.getpid(),
        worker=env.get(WORKER_ENV) or None,
        web_client=web_client(env),
    )


def web_client(env: Mapping[str, str]) -> dict[str, str] | None:
    """The browser (address, user agent) behind a TUI that `cockpit serve` runs, if any."""
    raw = env.get(WEB_CLIENT_ENV)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return {"address": "?", "user_agent": "?"}
    if not isinstance(value, dict):
        return {"address": "?", "user_agent": "?"}
    return {"address": str(value.get("address", "")), "user_agent": str(value.get("user_agent", ""))}


def inside_worker(env: Mapping[str, str] | None = None) -> str | None:
    """The worker id when this process runs in a worker's environment."""
    env = os.environ if env is None else env
    return env.get(WORKER_ENV) or None


def _user(env: Mapping[str, str]) -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return env.get("USER") or str(os.getuid())
