"""The real claude 2.1.197 (headless), offline against the scripted model service, asking cockpit's
permission policy through its PreToolUse hook: a rule allows `touch allowed-*`, a rule denies
`touch forbidden-*`, an unmatched command waits in `cockpit permissions` until the operator allows it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from cockpit.modelservice.profile_base import Case
from cockpit.modelservice.scenario import Scenario, Turn, TurnUsage
from cockpit.service.conformance import Run

POLICY = """\
rules:
  - id: allow-touch
    tool: Bash
    command: "touch allowed-*"
    decision: allow
  - id: deny-touch
    tool: Bash
    command: "touch forbidden-*"
    decision: deny
"""


def _scenario() -> Scenario:
    usage = TurnUsage(input_tokens=100, output_tokens=20)
    return Scenario(
        name="permissions",
        turns=[
            Turn(kind="shell", command="touch allowed-1", text="First.", usage=usage),
            Turn(kind="shell", command="touch forbidden-1", text="Second.", usage=usage),
            Turn(kind="shell", command="touch other-1", text="Third.", usage=usage),
            Turn(kind="text", text="Done.", usage=usage),
        ],
    )


def _wait(test, limit: float = 120.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if value := test():
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def _allow_in_the_tuis_inbox(run: Run, request: str) -> None:
    """The operator's way: the real `cockpit` TUI in a real terminal, `i`, then `y`."""
    from ui.terminal import Terminal, cockpit_argv

    terminal = Terminal(120, 36)
    try:
        terminal.start(cockpit_argv(), run.repo, {**run.env, "TERM": "xterm-256color"})
        terminal.wait_for("connected", timeout=60)
        terminal.keys("i")
        screen = terminal.wait_for("1 pending", timeout=60)
        assert request in screen and "touch other-1" in screen, screen
        terminal.keys("y")
        terminal.wait_for("no pending requests", timeout=60)
        terminal.keys("Escape")  # back to the board, then quit
        terminal.back_on_board("no pending requests", "the inbox to close")
        terminal.keys("q")
        terminal.wait_until(terminal.pane_dead, "the TUI to quit")
    finally:
        terminal.kill()


@pytest.mark.parametrize("way", ["cli", "tui"])
def test_claude_asks_cockpit_policy_and_the_operator(cli_binaries, way: str) -> None:
    case = Case(kind="permissions", scenario=_scenario(), prompt="Make three files.")
    with Run("claude", "headless", case, cli_binaries.path("claude")) as run:
        (run.repo / ".cockpit" / "policy.yaml").write_text(POLICY)
        out = run.cockpit("dispatch", case.prompt, "--provider", "claude", "--headless", "--risk", "low")
        assert out.returncode == 0, out.stderr
        did = out.stdout.strip()

        def pending():
            listed = run.cockpit("permissions", "--json")
            assert listed.returncode == 0, listed.stderr
            return json.loads(listed.stdout)

        rows = _wait(pending)
        assert [(r["dispatch"], r["tool"], r["command"]) for r in rows] == [(did, "Bash", "touch other-1")]
        worktree = Path(run.state.worktree(did))
        assert (worktree / "allowed-1").exists()  # the rule let it run, no operator
        assert not (worktree / "forbidden-1").exists()  # the rule stopped it
        assert not (worktree / "other-1").exists()  # still waiting
        if way == "cli":
            allowed = run.cockpit("permissions", "allow", rows[0]["request"])
            assert allowed.returncode == 0, allowed.stderr
        else:
            _allow_in_the_tuis_inbox(run, rows[0]["request"])
        ended = run.wait_for(lambda rs: [r for r in rs if r.kind in ("exited", "timed_out")], did, 120)
        assert ended and ended[0].kind == "exited", [r.kind for r in run.receipts(did)]
        assert (worktree / "other-1").exists()  # ran once the operator allowed it
        decided = [
            (r.data["decision"], r.data["by"], r.data.get("rule")) for r in run.receipts(did) if r.kind == "permission_decided"
        ]
        assert decided == [("allow", "policy", "allow-touch"), ("deny", "policy", "deny-touch"), ("allow", "operator", None)]
        assert run.service.prompt_count(case.prompt) == 1
