"""claude 2.1.197, interactive and headless, through the real supervisor and tmux, offline.

Each case runs cockpit's conformance runner (the same code `cockpit providers verify`
runs) and requires every signal row to pass; the rows say why when one does not.
"""

from __future__ import annotations

import pytest

from cockpit.service.conformance import format_rows, verify

EXPECTED_ROWS = {
    ("interactive", "happy"): ["ready", "delivered", "working", "waiting", "answer", "idle", "edit", "usage", "gates", "approve"],
    ("headless", "happy"): ["ready", "exit", "delivered", "working", "edit", "usage", "gates", "approve"],
    ("interactive", "trust"): [
        "trust",
        "ready",
        "delivered",
        "working",
        "waiting",
        "answer",
        "idle",
        "edit",
        "usage",
        "gates",
        "approve",
    ],
    ("interactive", "deny"): ["ready", "delivered", "working", "waiting", "answer", "idle", "edit", "usage"],
    ("headless", "auth"): ["ready", "exit", "error"],
    ("headless", "hang"): ["ready", "timeout"],
}


@pytest.mark.parametrize(("mode", "kind"), sorted(EXPECTED_ROWS), ids=lambda v: str(v))
def test_claude_conformance(mode: str, kind: str, cli_binaries) -> None:
    result = verify("claude", mode, kind, cli_binaries.path("claude"))
    table = format_rows([result])
    signals = [row.signal for row in result.rows]
    missing = [s for s in EXPECTED_ROWS[(mode, kind)] if s not in signals]
    assert not missing, f"signals never judged: {missing}\n{table}"
    assert result.ok, f"claude {mode} {kind} failed {result.failed()}:\n{table}"
