"""The policy: matching (pure), and bad files at dispatch and in doctor (real CLI, exit 2, nothing written)."""

from __future__ import annotations

import pytest

from cockpit.domain.policy import Policy, PolicyRule, decide


def _policy(*rules: dict) -> Policy:
    return Policy(rules=[PolicyRule(**r) for r in rules])


def test_first_match_wins_and_no_match_asks() -> None:
    policy = _policy(
        {"id": "deny-rm", "tool": "Bash", "command": "rm *", "decision": "deny"},
        {"id": "bash", "tool": "Bash", "decision": "allow"},
        {"id": "src", "tool": "Edit", "path": "src/**", "decision": "allow"},
        {"id": "codex-only", "tool": "Write", "provider": "codex", "decision": "allow"},
    )
    ruling = decide(policy, tool="Bash", command="rm -rf /", path=None, provider="claude")
    assert (ruling.decision, ruling.rule) == ("deny", "deny-rm")
    assert decide(policy, tool="Bash", command="ls", path=None, provider="claude").rule == "bash"
    assert decide(policy, tool="Edit", command=None, path="src/a/b.py", provider="claude").decision == "allow"
    assert decide(policy, tool="Edit", command=None, path="docs/a.md", provider="claude").decision == "ask"
    assert decide(policy, tool="Write", command=None, path="x", provider="claude").rule is None
    assert decide(policy, tool="Write", command=None, path="x", provider="codex").rule == "codex-only"


def test_a_rule_never_allows_a_protected_path() -> None:
    policy = _policy({"id": "edits", "tool": "Edit", "decision": "allow"})
    ruling = decide(
        policy, tool="Edit", command=None, path=".github/workflows/ci.yml", provider="claude", protected=[".github/**"]
    )
    assert ruling.decision == "ask" and "protected" in ruling.reason
    denied = decide(
        _policy({"id": "no", "tool": "Edit", "decision": "deny"}),
        tool="Edit",
        command=None,
        path=".github/x",
        provider="claude",
        protected=[".github/**"],
    )
    assert denied.decision == "deny"


@pytest.mark.integration
@pytest.mark.parametrize(
    "text, expected",
    [
        ("rules:\n  - id: a\n    tool: Bash\n    decision: maybe\n", ".cockpit/policy.yaml:4: rules.0.decision: "),
        (
            "rules:\n  - id: a\n    decision: allow\n  - id: a\n    decision: deny\n",
            ".cockpit/policy.yaml:4: rules.1.id: 'a' is used twice",
        ),
        ("rules:\n  - tool: Bash\n    decision: allow\n", ".cockpit/policy.yaml:2: rules.0.id: required field is missing"),
    ],
)
def test_a_bad_policy_is_one_line_exit_2_at_dispatch_and_in_doctor(cockpit, text: str, expected: str) -> None:
    (cockpit.repo / ".cockpit").mkdir(exist_ok=True)
    (cockpit.repo / ".cockpit" / "policy.yaml").write_text(text)
    result = cockpit.run("dispatch", "@fake say hi")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and expected in result.stderr
    assert "dispatch_created" not in cockpit.receipt_kinds()
    doctor = cockpit.run("doctor")
    assert doctor.returncode == 2 and expected in doctor.stdout
