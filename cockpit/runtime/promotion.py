"""Promotion: merging a judged worktree into its target branch, failing closed.

Sequence, all under the repository's git lock:
 1. refuse if the target is checked out somewhere with uncommitted changes to tracked files
    (promotion never destroys them: see docs/gates.md);
 2. make the judged tree a commit object (the worker's uncommitted and untracked changes
    included) and build the merge with `git merge-tree --write-tree` (objects only): on a
    conflict, stop; nothing has been touched;
 3. make the new target commit (merge, squash or rebase; objects only, a rebase works in a
    scratch worktree) and move the target with a compare-and-swap: `merge --ff-only` in the
    checkout that has it (which refuses rather than overwrite untracked files), else `update-ref`;
 4. only then bring the worker's branch in step, so its teardown sees it merged. That step
    never overwrites a byte (`reset --keep`); when it cannot, the worktree is left as it was
    and teardown archives it instead.
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
STRATEGIES = ("merge", "squash", "rebase")


class PromotionRefused(CheckFailed):
    """Promotion did not happen; the target and the main checkout are as they were.

    `needs_changes`: the change itself must change (it conflicts with the target), as
    opposed to something on the operator's side (a dirty checkout, a target that moved).
    """

    def __init__(self, message: str, *, hint: str | None = None, needs_changes: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.needs_changes = needs_changes


@dataclass(frozen=True)
class Promotion:
    commit: str  # the target's new commit
    previous: str  # the target's commit before
    target: str
    strategy: str
    committed_uncommitted: bool  # the judged tree held uncommitted work, committed for the merge
    original_head: str  # the commit whose tree was judged (kept at refs/cockpit/promoted/ID when rewritten)
    worktree_synced: bool  # the worker's branch now counts as merged


def checkout_of(repo: GitRepo, branch: str) -> Path | None:
    ref = f"refs/heads/{branch}"
    for path, checked_out in repo.registered_worktrees().items():
        if checked_out == ref:
            return path
    return None


def _dirty_tracked(repo: GitRepo, checkout: Path) -> list[str]:
    out = repo.run_git("status", "--porcelain", "--untracked-files=no", cwd=checkout, env={"GIT_OPTIONAL_LOCKS": "0"})
    return [line[3:] for line in out.splitlines() if line.strip()]


def checkout_blocker(repo: GitRepo, target: str) -> str | None:
    """Why promoting into `target` must not happen now (its checkout is dirty), or None."""
    checkout = checkout_of(repo, target)
    if checkout is None:
        return None
    dirty = _dirty_tracked(repo, checkout)
    if not dirty:
        return None
    return (
        f"{checkout} has uncommitted changes on {target} ({', '.join(dirty[:5])}"
        f"{' ...' if len(dirty) > 5 else ''}); promotion will not touch them: commit or stash them, "
        "then approve again"
    )


def promote(
    repo: GitRepo,
    *,
    dispatch_id: str,
    worktree: Path,
    branch: str,
    diff: WorktreeDiff,
    target: str,
    strategy: Strategy,
    message: str,
    trailer: str = "",
) -> Promotion:
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy {strategy!r}", hint="use merge, squash or rebase")
    with repo.lock:
        previous = repo.ref_commit(f"refs/heads/{target}")
        if previous is None:
            raise UsageError(f"the target branch {target!r} does not exist")
        if blocker := checkout_blocker(repo, target):
            raise PromotionRefused(blocker)
        checkout = checkout_of(repo, target)
        dirty_worker = repo.run_git("rev-parse", f"{diff.head}^{{tree}}") != diff.tree
        source = (
            diff.head
            if not dirty_worker
            else repo.run_git(
                "commit-tree", diff.tree, "-p", diff.head, "-m", f"cockpit: uncommitted work of {dispatch_id}", env=IDENTITY_ENV
            )
        )
        check = repo.merge_check(previous, source)
        if not check.clean:
            raise PromotionRefused(
                f"merging {dispatch_id} into {target} conflicts in: {', '.join(check.conflicts)}; "
                f"{target} and the main checkout are unchanged",
                hint="reject with --send-back so the agent rebases, or resolve by hand",
                needs_changes=True,
            )
        if check.tree is None:  # git prints the tree of every clean merge
            raise CheckFailed(f"git merge-tree named no tree for merging {dispatch_id} into {target}")
        if strategy == "merge":
            new = repo.run_git("commit-tree", check.tree, "-p", previous, "-p", source, "-m", message, env=IDENTITY_ENV)
        elif strategy == "squash":
            new = repo.run_git("commit-tree", check.tree, "-p", previous, "-m", message, env=IDENTITY_ENV)
        else:
            new = _rebased(repo, source, previous)
            if trailer:  # the rebased tip carries the ledger anchor too (its tree and authorship unchanged)
                new = _with_trailer(repo, new, trailer)
        _move_target(repo, target, previous, new, checkout)
        synced = _sync_worker(repo, dispatch_id, worktree, branch, diff, source, new, strategy)
        return Promotion(new, previous, target, strategy, dirty_worker, source, synced)


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
            last = err.strip().splitlines()[-1] if err.strip() else "git refused"
            raise PromotionRefused(
                f"rebasing onto the target conflicts ({last}); nothing was merged",
                hint="use --strategy merge, or send it back",
                needs_changes=True,
            )
        return repo.run_git("rev-parse", "HEAD", cwd=path)
    finally:
        repo.try_git("worktree", "remove", "--force", str(path))
        shutil.rmtree(scratch, ignore_errors=True)


def _with_trailer(repo: GitRepo, commit: str, trailer: str) -> str:
    message = repo.run_git("log", "-1", "--format=%B", commit).rstrip("\n")
    name, email, date = repo.run_git("log", "-1", "--format=%an%x00%ae%x00%ad", "--date=raw", commit).split("\0")
    parents = repo.run_git("rev-list", "--parents", "-n1", commit).split()[1:]
    args = [arg for parent in parents for arg in ("-p", parent)]
    return repo.run_git(
        "commit-tree",
        f"{commit}^{{tree}}",
        *args,
        "-m",
        f"{message}\n\n{trailer}",
        env={**IDENTITY_ENV, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": date},
    )


def _move_target(repo: GitRepo, target: str, previous: str, new: str, checkout: Path | None) -> None:
    if checkout is None:
        code, _, err = repo.try_git("update-ref", f"refs/heads/{target}", new, previous)
    else:  # updates the ref, the index and the files together; refuses rather than overwrite
        code, _, err = repo.try_git("merge", "--ff-only", "--no-autostash", "-q", new, cwd=checkout, env=IDENTITY_ENV)
    if code != 0:
        last = err.strip().splitlines()[-1] if err.strip() else "git refused"
        raise PromotionRefused(
            f"could not move {target} (it changed meanwhile, or files in {checkout or 'it'} "
            f"would be overwritten): {last}; nothing was merged"
        )


def _sync_worker(
    repo: GitRepo, dispatch_id: str, worktree: Path, branch: str, diff: WorktreeDiff, source: str, new: str, strategy: str
) -> bool:
    """Make the worker's branch contain what was promoted, never overwriting a byte; False when it could not."""
    if strategy != "merge" or source != diff.head:
        # The judged commits stay reachable, whatever happens to the branch afterwards.
        repo.run_git("update-ref", f"refs/cockpit/promoted/{dispatch_id}", source)
    if not worktree.is_dir():
        return False
    code, current, _ = repo.try_git("symbolic-ref", "-q", "HEAD", cwd=worktree)
    if code != 0 or str(current).strip() != f"refs/heads/{branch}":
        return False  # the agent checked out something else: leave its worktree alone
    if source != diff.head:  # the uncommitted work becomes a commit on the worker's own branch
        code, _, _ = repo.try_git("update-ref", f"refs/heads/{branch}", source, diff.head)
        if code != 0:
            return False  # it committed meanwhile
        repo.run_git("read-tree", "HEAD", cwd=worktree)  # the index follows; the files already match
    if strategy == "merge" or new == source:
        return True
    # Squash and rebase rewrote the commits: move the branch onto them, updating only files
    # that differ, and refusing (changing nothing) if any of those has local changes.
    code, _, _ = repo.try_git("reset", "-q", "--keep", new, cwd=worktree, env=IDENTITY_ENV)
    return code == 0
