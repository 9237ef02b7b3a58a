"""aider and opencode through cockpit's conformance runner, what `cockpit providers verify aider
opencode` does: the same scenario cases and the same rows for both Chat Completions CLIs (their
own tests, test_conformance_aider.py and test_conformance_opencode.py, check what differs)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.conformance, pytest.mark.tmux]

# The signals each case must judge (every one ✓ for the run to pass).
RUNNER_ROWS = {
    ("interactive", "happy"): ["ready", "delivered", "working", "waiting", "answer", "idle", "edit", "usage", "gates", "approve"],
    ("interactive", "deny"): ["ready", "delivered", "working", "waiting", "answer", "idle", "edit", "usage"],
    ("headless", "happy"): ["ready", "exit", "delivered", "working", "edit", "usage", "gates", "approve"],
    ("headless", "auth"): ["ready", "exit", "error"],
    ("headless", "hang"): ["ready", "timeout"],
}
CASES = [(cli, mode, kind) for cli in ("aider", "opencode") for mode, kind in sorted(RUNNER_ROWS)]


@pytest.mark.parametrize(("cli", "mode", "kind"), CASES, ids=lambda v: str(v))
def test_providers_verify_rows(cli: str, mode: str, kind: str, cli_binaries) -> None:
    from cockpit.service.conformance import format_rows, verify

    result = verify(cli, mode, kind, cli_binaries.path(cli), step_timeout=90)
    table = format_rows([result])
    missing = [s for s in RUNNER_ROWS[(mode, kind)] if s not in [row.signal for row in result.rows]]
    assert not missing, f"signals never judged: {missing}\n{table}"
    assert result.ok, f"{cli} {mode} {kind} failed {result.failed()}:\n{table}"
