"""Helpers for the gate tests: a committed gate file, reviewer instructions for the fake agent."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path


def git(cwd: Path | str, *args: str) -> str:
    """Run git as the test's user (not through `conftest`: its module name is ambiguous in a full run)."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


APPROVE = '@fake say {"verdict":"approve","findings":[]}'


def commit_file(repo: Path, rel: str, text: str, message: str = "add file") -> str:
    path = repo / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    git(repo, "add", rel)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def use_gates(repo: Path, text: str) -> None:
    """Commit `.cockpit/gates.yaml`, so worktrees have it too and the main checkout stays clean."""
    commit_file(repo, ".cockpit/gates.yaml", text, "gate config")


def reviewer(directives: str, name: str = "review", timeout: int = 30) -> str:
    """A review gate played by the fake agent: its instructions are obeyed as directives."""
    return (
        f"  {name}:\n    kind: review\n    provider: fake\n    timeout: {timeout}\n    instructions: {json.dumps(directives)}\n"
    )


def verdict(findings: list[dict] | None = None, answer: str = "approve") -> str:
    return "@fake say " + json.dumps({"verdict": answer, "findings": findings or []})


def branch_commit(repo: Path, branch: str) -> str:
    return git(repo, "rev-parse", f"refs/heads/{branch}").strip()


def checkout_bytes(repo: Path) -> dict[str, bytes]:
    """Every file of the main checkout (outside .git), byte for byte."""
    return {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }


def gate_results(cockpit, dispatch_id: str) -> dict[str, dict]:
    """The latest gate_result receipt per gate."""
    out: dict[str, dict] = {}
    for r in cockpit.receipts(dispatch_id):
        if r.kind == "gate_result":
            out[r.data["gate"]] = r.data
    return out


def git_state(repo: Path) -> tuple[str, str, str]:
    """(every ref, HEAD, porcelain status) of a repository: what 'nothing changed' means."""
    refs = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname) %(objectname)"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    return refs, git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain", "--untracked-files=all")


DOC = Path(__file__).resolve().parents[2] / "docs" / "gates.md"


def documented_fields() -> dict[str, set[str]]:
    """docs/gates.md's receipt table: kind -> every backticked word of its data column."""
    table = DOC.read_text(encoding="utf-8").split("## Receipts\n", 1)[1]
    out: dict[str, set[str]] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            out[cells[0].strip("`")] = set(re.findall(r"`([a-z_0-9]+)`", cells[2]))
    return out


def assert_documented(receipts: list) -> None:
    """Every gate-related receipt's data members are named in docs/gates.md."""
    fields = documented_fields()
    for r in receipts:
        if r.kind in fields:
            assert set(r.data) <= fields[r.kind], (r.kind, set(r.data) - fields[r.kind])
