"""The permission inbox as an operator meets it: the real `cockpit` TUI in a real terminal, a
real supervisor, a live fake-agent worker, and a permission request made by the real hook
command (`python -m cockpit.service.permission_hook`, fed the JSON claude's PreToolUse hook
sends). `i` opens the inbox, the request is listed with the worker's screen beside it, `y`
allows it: the waiting hook gets `allow` and the decision is receipted with the operator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .terminal import Terminal, cockpit_argv, terminal_env

pytestmark = [pytest.mark.tmux, pytest.mark.terminal, pytest.mark.integration]

POLICY = "rules:\n  - id: deny-rm\n    tool: Bash\n    command: 'rm *'\n    decision: deny\n"


def _ask(cockpit, dispatch_id: str, worktree: str, command: str) -> subprocess.Popen:
    """The hook claude runs before a tool: it blocks until cockpit decides."""
    env = {**os.environ, "COCKPIT_SOCKET": str(cockpit.ws.state.socket_path), "COCKPIT_DISPATCH_ID": dispatch_id}
    payload = {"hook_event_name": "PreToolUse", "cwd": worktree, "tool_name": "Bash", "tool_input": {"command": command}}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cockpit.service.permission_hook"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(payload))
    proc.stdin.close()
    return proc


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_i_opens_the_inbox_and_y_allows_the_waiting_request(cockpit, size: tuple[int, int]) -> None:
    (cockpit.repo / ".cockpit").mkdir(exist_ok=True)
    (cockpit.repo / ".cockpit" / "policy.yaml").write_text(POLICY)
    dispatch_id = cockpit.dispatch("@fake ask Proceed with the build?")
    cockpit.wait(dispatch_id, until="waiting")
    hook = _ask(cockpit, dispatch_id, cockpit.show(dispatch_id)["worktree"], "touch inbox-1")
    terminal = Terminal(*size)
    try:
        terminal.start(cockpit_argv(), cockpit.repo, terminal_env())
        terminal.wait_for(dispatch_id, timeout=60)
        terminal.keys("i")
        screen = terminal.wait_for("1 pending", timeout=60)
        assert "touch inbox-1" in screen.split("1 pending", 1)[1] and dispatch_id in screen, screen
        terminal.wait_for("Proceed with the build?", timeout=30)  # the worker's own screen, beside the list
        assert hook.poll() is None  # still waiting for the operator
        terminal.keys("y")
        assert hook.wait(timeout=60) == 0, hook.stderr.read() if hook.stderr else ""
        assert hook.stdout is not None
        assert json.loads(hook.stdout.read())["hookSpecificOutput"]["permissionDecision"] == "allow"
        terminal.wait_for("no pending requests", timeout=30)
        decided = [r for r in cockpit.receipts(dispatch_id) if r.kind == "permission_decided"]
        assert [(r.data["decision"], r.data["by"]) for r in decided] == [("allow", "operator")]
        assert decided[0].data["identity"]["user"] and "@" in decided[0].actor
        terminal.keys("Escape")
        terminal.back_on_board("no pending requests", "the inbox to close")
        terminal.keys("q")
        terminal.wait_until(terminal.pane_dead, "the TUI to quit")
    finally:
        terminal.kill()
        if hook.poll() is None:
            hook.kill()
        cockpit.run("kill", dispatch_id)
