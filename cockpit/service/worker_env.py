"""The environment a worker's agent CLI starts with."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cockpit.domain.dispatch import Dispatch
from cockpit.runtime.policy_file import policy_path
from cockpit.service.context import Context
from cockpit.service.identity import WORKER_ENV

# Interactive CLIs built on ink (gemini, claude, codex's wrapper) check these (the `is-in-ci`
# test) and then refuse to draw their screen: gemini exits "No input provided via stdin".
# A supervisor started inside a CI job or a devcontainer with CI=true must not pass them on.
CI_MARKERS = ("CI", "CONTINUOUS_INTEGRATION")


def is_ci_marker(name: str) -> bool:
    return name in CI_MARKERS or name.startswith("CI_")


def signal_hook_path() -> Path:
    """The shipped hook script (cockpit/data/signal-hook.sh) that CLIs' hooks run."""
    from importlib import resources

    return Path(str(resources.files("cockpit") / "data" / "signal-hook.sh"))


def worker_env(ctx: Context, d: Dispatch, overrides: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}
    if d.mode == "interactive":
        env = {k: v for k, v in env.items() if not is_ci_marker(k)}
    env.update(overrides)
    env[WORKER_ENV] = d.id
    env["COCKPIT_DISPATCH_ID"] = d.id
    env["COCKPIT_SIGNALS"] = str(ctx.ws.state.signal_file(d.id))  # the CLI's hooks append here
    env["COCKPIT_SIGNAL_HOOK"] = str(signal_hook_path())
    # The permission hook (cockpit/service/permission_hook.py) asks this supervisor directly.
    env["COCKPIT_SOCKET"] = str(ctx.ws.state.socket_path)
    env["COCKPIT_PYTHON"] = sys.executable
    env["COCKPIT_POLICY"] = str(policy_path(ctx.ws.repo.toplevel))  # the hook runs only if it exists
    env["COCKPIT_DATA_DIR"] = str(signal_hook_path().parent)  # other signal wiring (opencode's plugin)
    return env
