"""The screen-based permission path with the real gemini 0.61 (interactive), offline against the
scripted Gemini API service: gemini asks on its own dialog ("Allow execution of [Shell]?") and
announces it with its ToolPermission notification (tool and command); cockpit's policy or the
operator decides, and cockpit answers the dialog with the catalog's `permission` keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from codex_gemini_kit import CONTENT, PROMPT, dump, edit_then_review, offline, wait_for

pytestmark = [pytest.mark.conformance, pytest.mark.tmux, pytest.mark.integration]
CLI = "gemini"
RULES = {
    "allow": "  - id: allow-printf\n    tool: Shell\n    command: 'printf *'\n    decision: allow\n",
    "deny": "  - id: deny-printf\n    tool: Shell\n    command: 'printf *'\n    decision: deny\n",
    "ask": "  - id: deny-rm\n    tool: Shell\n    command: 'rm *'\n    decision: deny\n",  # printf is not matched
}


def _decided(cockpit, dispatch_id: str) -> list[tuple[str, str]]:
    return [(r.data["decision"], r.data["by"]) for r in cockpit.receipts(dispatch_id) if r.kind == "permission_decided"]


@pytest.mark.parametrize("policy", ["allow", "deny", "ask"])
def test_gemini_dialog_is_decided_by_policy_or_the_operator_and_answered_with_keys(cockpit, policy: str) -> None:
    with offline(cockpit, CLI, edit_then_review(CLI)):
        (cockpit.repo / ".cockpit" / "policy.yaml").write_text("rules:\n" + RULES[policy])
        dispatch_id = cockpit.dispatch(PROMPT, "--provider", CLI, "--interactive")
        if policy == "ask":
            rows = wait_for(
                lambda: json.loads(cockpit.run("permissions", "--json", check=True).stdout),
                "the request in the inbox",
                timeout=90,
            )
            assert [(r["dispatch"], r["tool"], r["source"]) for r in rows] == [(dispatch_id, "Shell", "screen")], rows
            assert rows[0]["command"].startswith("printf "), rows
            assert cockpit.show(dispatch_id)["state"] == "waiting"  # gemini's dialog waits for the decision
            cockpit.run("permissions", "allow", rows[0]["request"], check=True)
        cockpit.wait(dispatch_id, until="idle", timeout=120)
        hello = Path(cockpit.show(dispatch_id)["worktree"]) / "hello.txt"
        asked = [r.data for r in cockpit.receipts(dispatch_id) if r.kind == "permission_requested"]
        assert [(a["tool"], a["source"]) for a in asked] == [("Shell", "screen")], dump(cockpit, dispatch_id)
        answered = [r for r in cockpit.receipts(dispatch_id) if r.kind == "answered"]
        assert len(answered) == 1, dump(cockpit, dispatch_id)
        if policy == "deny":
            assert _decided(cockpit, dispatch_id) == [("deny", "policy")]
            assert (answered[0].data["answer"], answered[0].actor) == ("no", "policy deny-printf")
            assert not hello.exists(), dump(cockpit, dispatch_id)
        else:
            by = "policy" if policy == "allow" else "operator"
            assert _decided(cockpit, dispatch_id) == [("allow", by)], dump(cockpit, dispatch_id)
            assert answered[0].data["answer"] == "yes"
            if policy == "allow":
                assert answered[0].actor == "policy allow-printf"
            else:
                assert "@" in answered[0].actor  # the operator who allowed it in the inbox
            assert hello.read_text() == CONTENT, dump(cockpit, dispatch_id)
