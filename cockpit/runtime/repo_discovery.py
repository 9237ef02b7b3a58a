"""Finding the repository around a directory: every CLI call does this first, so it is plain
subprocess and file reads in a small module (no GitPython, nothing of the git adapter)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import NamedTuple

from cockpit.errors import UsageError

# Environment that would point git at another repository or index than the one we name.
_REPO_ENV_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
)


class RepoInfo(NamedTuple):  # not a dataclass: importing `dataclasses` costs each CLI call ~10 ms
    toplevel: Path
    common_dir: Path
    current_branch: str | None
    head: str | None


def _plain_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _REPO_ENV_VARS} | {"LC_ALL": "C"}


def _read_head(common_dir: Path) -> tuple[str | None, str | None]:
    """(branch, sha) of the main worktree, read from files; sha None when it needs git to resolve."""
    try:
        content = (common_dir / "HEAD").read_text().strip()
    except OSError:
        return None, None
    if not content.startswith("ref: "):
        return None, content or None
    ref = content[5:]
    branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
    try:
        return branch, (common_dir / ref).read_text().strip()
    except OSError:
        pass
    try:
        for line in (common_dir / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref) and not line.startswith(("#", "^")):
                return branch, line.split(" ", 1)[0]
    except OSError:
        pass
    return branch, None


def discover_repo(cwd: Path) -> RepoInfo:
    """Find the repository around `cwd`; always answers with the main worktree's toplevel."""
    env = _plain_env()
    if not Path(cwd).is_dir():
        raise UsageError(f"not inside a git repository ({cwd} is not a directory): run cockpit from a repository's working tree")
    args = ["git", "rev-parse", "--path-format=absolute", "--show-toplevel", "--git-common-dir", "--git-dir"]
    try:
        proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed (or not on PATH): install git, then run cockpit again") from None
    if proc.returncode != 0:
        probe = subprocess.run(
            ["git", "rev-parse", "--is-bare-repository"], cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        if probe.stdout.strip() == "true":
            raise UsageError(f"{cwd} is a bare repository: run cockpit from a repository's working tree")
        reason = (proc.stderr.strip().splitlines() or ["git rev-parse failed"])[-1].removeprefix("fatal: ")
        raise UsageError(f"not inside a git repository ({reason}): run cockpit from a repository's working tree")
    toplevel_s, common_s, gitdir_s = proc.stdout.splitlines()[:3]
    common_dir, toplevel = Path(common_s), Path(toplevel_s)
    if Path(gitdir_s) != common_dir:  # a linked worktree: answer with the main one
        if common_dir.name == ".git":
            toplevel = common_dir.parent
        else:
            listing = subprocess.run(
                ["git", "worktree", "list", "--porcelain"], cwd=cwd, env=env, capture_output=True, text=True, check=True
            ).stdout.splitlines()
            if "bare" in listing[:3]:
                raise UsageError(f"{cwd} belongs to a bare repository: run cockpit from a non-bare repository")
            toplevel = Path(listing[0].removeprefix("worktree "))
    branch, head = _read_head(common_dir)
    if head is None or not re.fullmatch(r"[0-9a-f]{40,64}", head):
        probe = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
            cwd=toplevel,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        head = probe.stdout.strip() or None
    return RepoInfo(toplevel=toplevel, common_dir=common_dir, current_branch=branch, head=head)
