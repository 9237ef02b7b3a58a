"""Teardown that never loses work: classify, archive to a ref, then remove; and restore.

Archive layout (like `git stash`), under `refs/cockpit/archive/<id>`:
    W  "cockpit archive of <id>: uncommitted changes"   tree = every tracked and untracked,
       parents: HEAD, I [, branch head] [, previous archive]        not ignored file on disk
    I  "cockpit archive of <id>: index"                 tree = the index (what was staged),
       parent: HEAD
Both trees are built with a temporary copy of the index (GIT_INDEX_FILE), so the worktree's real
index is never written. Restore checks out HEAD on `cockpit/<id>`, brings the files to W's tree
and the index to I's tree: files in W but not in I come back untracked, as they were.

What git cannot hold, and so an archive cannot: empty directories; ignored files (they are listed
in `Classification.ignored` so the caller can warn before removal); the inner state of nested
repositories (teardown refuses while an untracked embedded repository is present); intent-to-add
marks (such files come back untracked) and unresolved merge conflicts (the conflicted index is
archived as HEAD's tree, the files on disk as they are).

Archiving the same id twice (e.g. restore, more work, teardown again): the new W takes the previous
archive commit as an extra parent, and the ref is moved by compare-and-swap from that previous
value, so nothing an archive held ever becomes unreachable. If the previous archive already holds
the exact state, it is reused as is (a teardown interrupted after archiving just resumes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cockpit.errors import CheckFailed, UsageError
from cockpit.runtime.git_repo import BRANCH_PREFIX, READ_ONLY_ENV, GitRepo, Snapshot, validate_dispatch_id

ARCHIVE_PREFIX = "refs/cockpit/archive/"
ARCHIVE_IDENTITY_ENV = {
    "GIT_AUTHOR_NAME": "cockpit",
    "GIT_AUTHOR_EMAIL": "cockpit@localhost",
    "GIT_COMMITTER_NAME": "cockpit",
    "GIT_COMMITTER_EMAIL": "cockpit@localhost",
}
Kind = Literal["clean", "merged", "committed", "dirty"]


@dataclass
class Classification:
    kind: Kind
    head: str | None
    base: str
    commits_ahead: int
    changed: int  # tracked paths modified, staged or deleted
    untracked: int
    ignored: list[str] = field(default_factory=list)  # not archived: the caller should warn
    worktree_exists: bool = False


@dataclass
class TeardownResult:
    classification: Classification
    archive_ref: str | None  # set when this teardown archived (or found its state already archived)
    archive_commit: str | None
    already_gone: bool


@dataclass
class RestoreResult:
    worktree: Path
    branch: str
    head: str
    had_uncommitted: bool


def archive_ref_name(dispatch_id: str) -> str:
    validate_dispatch_id(dispatch_id)
    return ARCHIVE_PREFIX + dispatch_id


def archive_exists(repo: GitRepo, dispatch_id: str) -> bool:
    return repo.ref_commit(archive_ref_name(dispatch_id)) is not None


def list_archives(repo: GitRepo) -> dict[str, str]:
    """dispatch id -> archive commit, for every archived dispatch."""
    out = repo.run_git("for-each-ref", "--format=%(refname) %(objectname)", ARCHIVE_PREFIX, env=READ_ONLY_ENV)
    pairs = (line.rsplit(" ", 1) for line in out.splitlines() if line)
    return {ref.removeprefix(ARCHIVE_PREFIX): sha for ref, sha in pairs}


def _status_counts(repo: GitRepo, worktree: Path) -> tuple[int, int]:
    """(tracked paths with staged or unstaged changes, untracked files); never writes the index."""
    out = bytes(
        repo.run_git(
            "status", "--porcelain=v2", "-z", "--untracked-files=all", "--ignored=no", cwd=worktree, env=READ_ONLY_ENV, raw=True
        )
    )
    changed = untracked = 0
    records = iter(out.split(b"\0"))
    for record in records:
        if record.startswith(b"?"):
            untracked += 1
        elif record[:2] in (b"1 ", b"2 ", b"u "):
            changed += 1
            if record.startswith(b"2 "):
                next(records, None)  # a rename record carries its original path as the next field
    return changed, untracked


def _target_commit(repo: GitRepo, target: str | None) -> str | None:
    if target is not None:
        return repo.resolve_commit(target)
    branch = repo.main_checkout_branch()
    return repo.try_resolve(branch) if branch else None


def classify(repo: GitRepo, worktree: Path, branch: str, base_commit: str, target: str | None) -> Classification:
    """What tearing this dispatch down would throw away. `target` None: the main checkout's branch."""
    worktree = Path(worktree).resolve()
    exists = worktree.is_dir() and worktree in repo.registered_worktrees()
    branch_head = repo.ref_commit(f"refs/heads/{branch}")
    head = repo.head_commit(worktree) if exists else branch_head
    changed, untracked = _status_counts(repo, worktree) if exists else (0, 0)
    ignored = repo.untracked_paths(worktree, ignored=True) if exists else []
    heads = {h for h in (head, branch_head) if h is not None}
    ahead = 0
    if head is not None:
        ahead = int(repo.run_git("rev-list", "--count", f"{base_commit}..{head}", env=READ_ONLY_ENV))
    kind: Kind
    if changed or untracked:
        kind = "dirty"
    elif heads <= {base_commit}:
        kind = "clean"
    else:
        target_commit = _target_commit(repo, target)
        merged = target_commit is not None and all(repo.is_ancestor(h, target_commit) for h in heads)
        kind = "merged" if merged else "committed"
    return Classification(
        kind=kind,
        head=head,
        base=base_commit,
        commits_ahead=ahead,
        changed=changed,
        untracked=untracked,
        ignored=ignored,
        worktree_exists=exists,
    )


def archive_parts(repo: GitRepo, archive: str) -> tuple[str, str, str, str]:
    """(HEAD, index tree, worktree tree, HEAD tree) recorded by an archive commit."""
    head, index_tree, worktree_tree, head_tree = repo.run_git(
        "rev-parse", f"{archive}^1", f"{archive}^2^{{tree}}", f"{archive}^{{tree}}", f"{archive}^1^{{tree}}", env=READ_ONLY_ENV
    ).split()
    return head, index_tree, worktree_tree, head_tree


def _refuse_embedded_repos(repo: GitRepo, snap: Snapshot) -> None:
    out = bytes(
        repo.run_git("diff-tree", "-r", "-z", "--raw", "--no-renames", snap.head, snap.worktree_tree, env=READ_ONLY_ENV, raw=True)
    )
    fields = out.split(b"\0")
    for meta, name in zip(fields[0::2], fields[1::2], strict=False):
        if meta.startswith(b":000000 160000"):
            raise CheckFailed(
                f"cannot archive: {name.decode(errors='replace')} is an embedded git repository",
                hint="commit or move it out of the worktree, then tear down again",
            )


def _archive(repo: GitRepo, dispatch_id: str, worktree: Path | None, branch: str) -> str:
    """Write (or find) the archive commit holding everything; returns it. Caller holds the lock."""
    ref = archive_ref_name(dispatch_id)
    branch_head = repo.ref_commit(f"refs/heads/{branch}")
    if worktree is not None:
        snap = repo.snapshot(worktree)
        _refuse_embedded_repos(repo, snap)
    else:
        assert branch_head is not None
        tree = repo.run_git("rev-parse", f"{branch_head}^{{tree}}")
        snap = Snapshot(head=branch_head, index_tree=tree, worktree_tree=tree)
    previous = repo.ref_commit(ref)
    if previous is not None and (branch_head is None or repo.is_ancestor(branch_head, previous)):
        head, index_tree, worktree_tree, _ = archive_parts(repo, previous)
        same_state = (head, index_tree, worktree_tree) == (snap.head, snap.index_tree, snap.worktree_tree)
        if same_state or (worktree is None and repo.is_ancestor(snap.head, previous)):
            return previous  # it already holds all of this (and with the worktree gone, more)
    message = f"cockpit archive of {dispatch_id}"
    index_commit = repo.run_git(
        "commit-tree", "--no-gpg-sign", "-p", snap.head, "-m", f"{message}: index", snap.index_tree, env=ARCHIVE_IDENTITY_ENV
    )
    parents = ["-p", snap.head, "-p", index_commit]
    if branch_head is not None and not repo.is_ancestor(branch_head, snap.head):
        parents += ["-p", branch_head]  # the worktree had left its branch: keep the branch's commits too
    if previous is not None:
        parents += ["-p", previous]
    commit = repo.run_git(
        "commit-tree",
        "--no-gpg-sign",
        *parents,
        "-m",
        f"{message}: uncommitted changes",
        snap.worktree_tree,
        env=ARCHIVE_IDENTITY_ENV,
    )
    # Compare-and-swap from the value read above ("" = must not exist yet).
    repo.run_git("update-ref", "-m", f"cockpit archive of {dispatch_id}", ref, commit, previous or "")
    return commit


def _gone_result(repo: GitRepo, dispatch_id: str, base_commit: str) -> TeardownResult:
    ref = archive_ref_name(dispatch_id)
    archived = repo.ref_commit(ref)
    kind: Kind = "clean"
    head = None
    if archived is not None:
        head, index_tree, worktree_tree, head_tree = archive_parts(repo, archived)
        kind = "dirty" if index_tree != head_tree or worktree_tree != head_tree else "committed"
    classification = Classification(
        kind=kind, head=head, base=base_commit, commits_ahead=0, changed=0, untracked=0, ignored=[], worktree_exists=False
    )
    return TeardownResult(
        classification=classification, archive_ref=ref if archived else None, archive_commit=archived, already_gone=True
    )


def teardown(
    repo: GitRepo, dispatch_id: str, worktree: Path, branch: str, base_commit: str, target: str | None
) -> TeardownResult:
    """Classify, archive anything that is not clean or merged, then remove worktree and branch.

    Idempotent: when neither the worktree nor the branch exists any more, reports already_gone.
    A worktree directory deleted by hand is pruned; its branch's commits are still archived.
    """
    worktree = Path(worktree).resolve()
    validate_dispatch_id(dispatch_id)
    with repo.lock:
        registered = repo.registered_worktrees()
        if worktree in registered and not worktree.exists():
            repo.prune_worktrees()
        classification = classify(repo, worktree, branch, base_commit, target)
        if not classification.worktree_exists and classification.head is None:
            return _gone_result(repo, dispatch_id, base_commit)
        heads = {h for h in (classification.head, repo.ref_commit(f"refs/heads/{branch}")) if h}
        needs_archive = classification.kind in ("committed", "dirty") or not all(
            any(r != f"refs/heads/{branch}" for r in repo.refs_containing(h)) for h in heads
        )
        archive_commit = None
        if needs_archive:
            archive_commit = _archive(repo, dispatch_id, worktree if classification.worktree_exists else None, branch)
        repo.remove_worktree(worktree, branch, archive_commit=archive_commit)
    return TeardownResult(
        classification=classification,
        archive_ref=archive_ref_name(dispatch_id) if archive_commit else None,
        archive_commit=archive_commit,
        already_gone=False,
    )


def restore(repo: GitRepo, dispatch_id: str, worktree: Path) -> RestoreResult:
    """Bring an archived dispatch back at `worktree` on `cockpit/<id>`: commits, staged,
    unstaged and untracked changes as they were. The archive ref is kept."""
    worktree = Path(worktree).absolute()
    ref = archive_ref_name(dispatch_id)
    branch = BRANCH_PREFIX + dispatch_id
    with repo.lock:
        archived = repo.ref_commit(ref)
        if archived is None:
            raise UsageError(f"no archive for dispatch {dispatch_id}", hint="see `git for-each-ref refs/cockpit/`")
        if os.path.lexists(worktree):
            raise UsageError(f"cannot restore {dispatch_id}: {worktree} already exists")
        if repo.branch_exists(branch):
            raise UsageError(
                f"cannot restore {dispatch_id}: branch {branch} already exists", hint="tear the live dispatch down first"
            )
        message = repo.run_git("log", "-1", "--format=%s", archived)
        if not message.startswith(f"cockpit archive of {dispatch_id}:"):
            raise CheckFailed(f"{ref} does not point at a cockpit archive commit")
        head, index_tree, worktree_tree, head_tree = archive_parts(repo, archived)
        repo.create_worktree(dispatch_id, worktree, head)
        try:
            # Files first (the index follows along), then the index alone back to what was staged.
            repo.run_git("read-tree", "--reset", "-u", worktree_tree, cwd=worktree)
            repo.run_git("read-tree", index_tree, cwd=worktree)
            repo.try_git("update-index", "-q", "--refresh", cwd=worktree)
        except CheckFailed:
            # Never leave a half-restored worktree behind: the archive still holds everything.
            repo.run_git("worktree", "remove", "--force", "--force", "--", str(worktree))
            repo.run_git("update-ref", "-d", f"refs/heads/{branch}", head)
            raise
    return RestoreResult(
        worktree=worktree, branch=branch, head=head, had_uncommitted=index_tree != head_tree or worktree_tree != head_tree
    )


__all__ = [
    "ARCHIVE_PREFIX",
    "Classification",
    "RestoreResult",
    "TeardownResult",
    "archive_exists",
    "archive_parts",
    "archive_ref_name",
    "classify",
    "list_archives",
    "restore",
    "teardown",
]
