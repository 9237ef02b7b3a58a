"""Promotion: merging a judged worktree into its target branch, failing closed.

Sequence, all under the repository's git lock:
 1. refuse if the target is checked out somewhere with uncommitted changes to tracked files
    (promotion never destroys them: see docs/gates.md);
 2. build the merge result with `git merge-tree --write-tree` (objects only): on a
    conflict, stop; nothing else has been touched;
 3. commit the worker's uncommitted and untracked changes onto its own branch, so what
    merges is exactly the tree that was judged;
 4. make the new target commit (merge, squash or rebase) and move the target with a
    compare-and-swap: `merge --ff-only` in the checkout that has it, else `update-ref`.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cockpit.errors import CheckFailed, UsageError
from cockpit.runtime.diffs import WorktreeDiff
from cockpit.runtime.gate_runners import IDENTITY_ENV
from cockpit.runtime.git_repo import GitRepo

Strategy = Literal["merge", "squash", "rebase"]


@dataclass(frozen=True)
class Promotion:
    commit: str
    previous: str
    target: str
    strategy: str
    committed_uncommitted: bool
    original_head: str


def checkout_of(repo: GitRepo, branch: str) -> Path | None:
    ref = f"refs/heads/{branch}"
    for path, checked_out in repo.registered_worktrees().items():
        if checked_out == ref:
            return path
    return None


def _dirty_tracked(repo: GitRepo, checkout: Path) -> list[str]:
    out = repo.run_git("status", "--porcelain", "--untracked-files=no", cwd=checkout,
                       env={"GIT_OPTIONAL_LOCKS": "0"})
    return [line[3:] for line in out.splitlines() if line.strip()]


def promote(repo: GitRepo, *, dispatch_id: str, worktree: Path, branch: str, diff: WorktreeDiff, target: str,
            strategy: Strategy, message: str) -> Promotion:
    if strategy not in ("merge", "squash", "rebase"):
        raise UsageError(f"unknown strategy {strategy!r}", hint="use merge, squash or rebase")
    with repo.lock:
        previous = repo.ref_commit(f"refs/heads/{target}")
        if previous is None:
            raise UsageError(f"the target branch {target!r} does not exist")
        checkout = checkout_of(repo, target)
        if checkout is not None and (dirty := _dirty_tracked(repo, checkout)):
            raise CheckFailed(
                f"{checkout} has uncommitted changes on {target} ({', '.join(dirty[:5])}"
                f"{' ...' if len(dirty) > 5 else ''}); promotion will not touch them",
                hint="commit or stash them, then approve again")
        head_tree = repo.run_git("rev-parse", f"{diff.head}^{{tree}}")
        dirty_worker = head_tree != diff.tree
        source = diff.head if not dirty_worker else repo.run_git(
            "commit-tree", diff.tree, "-p", diff.head, "-m", f"cockpit: uncommitted work of {dispatch_id}",
            env=IDENTITY_ENV)
        check = repo.merge_check(previous, source)
        if not check.clean:
            raise CheckFailed(f"merging {dispatch_id} into {target} conflicts in: {', '.join(check.conflicts)}; "
                              f"{target} and the main checkout are unchanged",
                              hint="reject with --send-back so the agent rebases, or resolve by hand")
        if dirty_worker:  # the judged tree becomes a commit on the worker's own branch
            repo.run_git("update-ref", f"refs/heads/{branch}", source, diff.head)
            repo.run_git("read-tree", "HEAD", cwd=worktree)
        if strategy == "merge":
            new = repo.run_git("commit-tree", check.tree, "-p", previous, "-p", source, "-m", message,
                               env=IDENTITY_ENV)
        elif strategy == "squash":
            new = repo.run_git("commit-tree", check.tree, "-p", previous, "-m", message, env=IDENTITY_ENV)
        else:
            new = _rebased(repo, source, previous)
        _move_target(repo, target, previous, new, checkout)
        if strategy != "merge":
            # Keep the original commits reachable, then let the worker's branch count as merged.
            repo.run_git("update-ref", f"refs/cockpit/promoted/{dispatch_id}", source)
            repo.run_git("reset", "--hard", "-q", new, cwd=worktree)
        return Promotion(new, previous, target, strategy, dirty_worker, source)


def _rebased(repo: GitRepo, source: str, onto: str) -> str:
    if repo.is_ancestor(onto, source):
        return source
    scratch = Path(tempfile.mkdtemp(prefix="cockpit-rebase-"))
    path = scratch / "wt"
    repo.run_git("worktree", "add", "--detach", "-q", str(path), source)
    try:
        code, _, err = repo.try_git("rebase", "-q", onto, cwd=path, env=IDENTITY_ENV)
        if code != 0:
            repo.try_git("rebase", "--abort", cwd=path)
            raise CheckFailed(f"rebasing onto the target conflicts: {err.strip().splitlines()[-1] if err else ''}")
        return repo.run_git("rev-parse", "HEAD", cwd=path)
    finally:
        repo.try_git("worktree", "remove", "--force", str(path))
        shutil.rmtree(scratch, ignore_errors=True)


def _move_target(repo: GitRepo, target: str, previous: str, new: str, checkout: Path | None) -> None:
    if checkout is None:
        code, _, err = repo.try_git("update-ref", f"refs/heads/{target}", new, previous)
    else:  # updates the ref, the index and the files together; refuses rather than overwrite
        code, _, err = repo.try_git("merge", "--ff-only", "-q", new, cwd=checkout, env=IDENTITY_ENV)
    if code != 0:
        raise CheckFailed(f"could not move {target} (it changed meanwhile, or files would be overwritten): "
                          f"{err.strip().splitlines()[-1] if err else 'git refused'}; nothing was merged")
