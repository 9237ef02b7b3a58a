"""`.cockpit/policy.yaml`, read from the main checkout (a worker cannot loosen it)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from cockpit.domain.policy import Policy
from cockpit.errors import UsageError
from cockpit.runtime.yaml_lines import display_path, located_error, parse_with_lines

SHAPE = "the policy file must be a mapping with a `rules:` list"
DOCS = "see docs/permissions.md"


def policy_path(repo_root: Path) -> Path:
    return Path(repo_root) / ".cockpit" / "policy.yaml"


def load_policy(repo_root: Path) -> Policy:
    """The policy (empty when there is no file), or UsageError `file:line: field: message`."""
    path = policy_path(repo_root)
    if not path.exists():
        return Policy()
    label = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{label}: not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"{label}: cannot read it ({exc.strerror})") from None
    parsed = parse_with_lines(label, text, SHAPE)
    try:
        policy = Policy.model_validate(parsed.data)
    except ValidationError as exc:
        origin = {field: (label, line) for field, line in parsed.lines.items()}
        raise located_error(exc, origin, [(label, text)], DOCS) from None
    seen: set[str] = set()
    for index, rule in enumerate(policy.rules):
        if rule.id in seen:
            line = parsed.lines.get(("rules", index, "id"), parsed.lines.get(("rules", index), 1))
            raise UsageError(f"{label}:{line}: rules.{index}.id: {rule.id!r} is used twice (ids are unique)")
        seen.add(rule.id)
    return policy
