"""The exact prompt a dispatch was given, checked against the hash its receipt holds."""

from __future__ import annotations

import hashlib

from cockpit.errors import CheckFailed
from cockpit.service.logs import resolve_dispatch
from cockpit.service.workspace import Workspace


def given_prompt(ws: Workspace, ref: str) -> bytes:
    """The prompt's bytes as the agent got them (a skill's composed prompt included).

    The private copy in the dispatch's directory is what the launcher read; its sha256 must be
    the one `dispatch_created` recorded, or it is not shown as the prompt that ran.
    """
    d = resolve_dispatch(ws, ref)
    path = ws.state.dispatch_dir(d.id) / "prompt.txt"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CheckFailed(f"the prompt of {d.id} is gone from {path} (its receipt keeps sha256 {d.prompt_sha256})") from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != d.prompt_sha256:
        raise CheckFailed(
            f"{path} does not match the prompt {d.id} was given: sha256 {digest}, the receipt says {d.prompt_sha256}"
        )
    return raw
