"""`.cockpit/policy.yaml`, read from the main checkout (a worker cannot loosen it)."""

from __future__ import annotations

from pathlib import Path

from cockpit.domain.policy import Policy
from cockpit.runtime.yaml_lines import load_model_file

SHAPE = "the policy file must be a mapping with a `rules:` list"
DOCS = "docs/permissions.md"


def policy_path(repo_root: Path) -> Path:
    return Path(repo_root) / ".cockpit" / "policy.yaml"


def load_policy(repo_root: Path) -> Policy:
    """The policy (empty when there is no file), or UsageError `file:line: field: message`."""
    path = policy_path(repo_root)
    if not path.exists():
        return Policy()
    loaded = load_model_file(path, Policy, shape=SHAPE, docs=DOCS)
    policy = loaded.value
    seen: set[str] = set()
    for index, rule in enumerate(policy.rules):
        if rule.id in seen:
            raise loaded.error(("rules", index, "id"), f"{rule.id!r} is used twice (ids are unique)")
        seen.add(rule.id)
    return policy
