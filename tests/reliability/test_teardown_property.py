"""Property, through the real CLI and supervisor: whatever happened in a worktree, `cockpit teardown`
then `cockpit restore` brings every byte back, with the same staged/unstaged/untracked split.

tests/git/test_git_archive_property.py checks the same at the runtime level with many
examples; this one drives the product end to end with few (COCKPIT_PROPERTY_EXAMPLES, default 8).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("COCKPIT_PROPERTY_EXAMPLES", "8"))
IDENTITY = {
    "GIT_AUTHOR_NAME": "Agent",
    "GIT_AUTHOR_EMAIL": "agent@example.com",
    "GIT_COMMITTER_NAME": "Agent",
    "GIT_COMMITTER_EMAIL": "agent@example.com",
}

PATHS = ["README.md", "a.txt", "b.bin", "sub/c.txt", "sub/deep/d.py", "new.md"]
path = st.sampled_from(PATHS)
content = st.one_of(
    st.binary(max_size=64), st.text(max_size=40).map(str.encode), st.sampled_from([b"", b"line\n", b"\0\xff\0binary"])
)
operation = st.one_of(
    st.tuples(st.just("write"), path, content, st.booleans()),
    st.tuples(st.just("delete"), path),
    st.tuples(st.just("rename"), path, path),
    st.tuples(st.just("stage"), path),
    st.tuples(st.just("unstage"), path),
    st.tuples(st.just("stage_all")),
    st.tuples(st.just("commit")),
)


def git(cwd: Path, *args: str, check: bool = True) -> bytes:
    result = subprocess.run(["git", *args], check=False, cwd=cwd, capture_output=True, env={**os.environ, **IDENTITY})
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {result.stderr.decode(errors='replace')}")
    return result.stdout


def apply(worktree: Path, op: tuple[object, ...]) -> None:
    kind = op[0]
    target = worktree / op[1] if len(op) > 1 else worktree
    if kind == "write":
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(op[2])
        target.chmod(0o755 if op[3] else 0o644)
    elif kind == "delete" and target.is_file():
        target.unlink()
    elif kind == "rename" and target.is_file() and op[1] != op[2]:
        destination = worktree / op[2]
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(target, destination)
    elif kind == "stage":
        git(worktree, "add", "-A", "--", op[1], check=False)
    elif kind == "unstage":
        git(worktree, "restore", "--staged", "--", op[1], check=False)
    elif kind == "stage_all":
        git(worktree, "add", "-A")
    elif kind == "commit":
        git(worktree, "commit", "-q", "--allow-empty", "-m", "agent commit")


@dataclass(frozen=True)
class Observed:
    files: dict[str, tuple[int, bytes]]  # path -> (exec bit, bytes)
    head: bytes
    status: bytes
    staged: bytes


def observe(worktree: Path) -> Observed:
    files = {}
    for item in sorted(worktree.rglob("*")):
        if ".git" in item.relative_to(worktree).parts or not item.is_file():
            continue
        files[str(item.relative_to(worktree))] = (item.stat().st_mode & 0o100, item.read_bytes())
    return Observed(
        files,
        git(worktree, "rev-parse", "HEAD"),
        git(worktree, "status", "--porcelain=v2", "--untracked-files=all"),
        git(worktree, "diff", "--cached", "--binary"),
    )


def settled(cockpit, dispatch_id: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    cockpit.wait(dispatch_id)
    deadline = time.monotonic() + 30
    while (view := cockpit.show(dispatch_id))["review"] in ("none", "gating"):  # gates read the worktree
        assert time.monotonic() < deadline, view
        time.sleep(0.05)
    return view


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=st.lists(operation, min_size=1, max_size=12))
def test_cli_teardown_then_restore_brings_every_byte_back(cockpit, operations: list[tuple[object, ...]]) -> None:
    dispatch_id = cockpit.call("dispatch", prompt="@fake say ready", task={"risk": "low"}, actor="prop")["id"]
    view = settled(cockpit, dispatch_id)
    worktree = Path(view["worktree"])
    for op in operations:
        apply(worktree, op)
    before = observe(worktree)

    torn = json.loads(cockpit.run("teardown", dispatch_id, "--json", check=True).stdout)
    assert not worktree.exists()
    assert git(cockpit.repo, "branch", "--list", view["branch"]) == b""
    if torn["classification"] in ("clean", "merged"):
        assert before.status == b"" and torn["archive_ref"] is None
        return
    assert torn["archive_ref"] == f"refs/cockpit/archive/{dispatch_id}"
    cockpit.run("restore", dispatch_id, check=True)
    assert observe(worktree) == before
    assert cockpit.run("receipts", "verify").returncode == 0
