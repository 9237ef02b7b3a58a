"""The diff of a worker's worktree against its base: what gates judge and humans review.

It covers commits, staged, unstaged and untracked (not ignored) changes, taken from
a snapshot tree built in a temporary index (the worktree's own index is never
written). Its sha256 is over git's raw diff (paths, modes, blob ids), so it names
the exact content judged: any byte changed anywhere gives another digest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.runtime.git_repo import GitRepo

MAX_PATCH_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str  # A added, M modified, D deleted, T type changed
    added: int
    removed: int
    binary: bool


@dataclass(frozen=True)
class WorktreeDiff:
    base: str
    head: str
    tree: str
    sha256: str
    files: list[FileChange] = field(default_factory=list)
    patch: str = ""
    truncated: bool = False

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def removed(self) -> int:
        return sum(f.removed for f in self.files)

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.files]


def worktree_diff(
    repo: GitRepo, worktree: Path, base: str, *, patch: bool = True, max_patch_bytes: int = MAX_PATCH_BYTES
) -> WorktreeDiff:
    snap = repo.snapshot(worktree)
    return tree_diff(repo, base, snap.worktree_tree, head=snap.head, cwd=worktree, patch=patch, max_patch_bytes=max_patch_bytes)


def tree_diff(
    repo: GitRepo,
    base: str,
    tree: str,
    *,
    head: str,
    cwd: Path | None = None,
    patch: bool = True,
    max_patch_bytes: int = MAX_PATCH_BYTES,
) -> WorktreeDiff:
    raw = bytes(repo.run_git("diff-tree", "-r", "-z", "--raw", "--no-renames", "--full-index", base, tree, cwd=cwd, raw=True))
    statuses: dict[str, str] = {}
    fields = raw.split(b"\0")
    for i in range(0, len(fields) - 1, 2):
        meta, name = fields[i], fields[i + 1]
        if meta.startswith(b":"):
            statuses[name.decode(errors="surrogateescape")] = meta.split()[-1].decode()[:1]
    numstat = bytes(repo.run_git("diff-tree", "-r", "-z", "--numstat", "--no-renames", base, tree, cwd=cwd, raw=True))
    files: list[FileChange] = []
    for record in numstat.split(b"\0"):
        if not record or b"\t" not in record:
            continue
        plus, minus, name = record.split(b"\t", 2)
        path = name.decode(errors="surrogateescape")
        binary = plus == b"-"
        files.append(FileChange(path, statuses.get(path, "M"), 0 if binary else int(plus), 0 if binary else int(minus), binary))
    text, truncated = "", False
    if patch and files:
        full = bytes(
            repo.run_git("diff-tree", "-p", "-r", "--no-color", "--no-ext-diff", "--no-renames", base, tree, cwd=cwd, raw=True)
        )
        truncated = len(full) > max_patch_bytes
        text = full[:max_patch_bytes].decode("utf-8", "replace")
    return WorktreeDiff(
        base=base,
        head=head,
        tree=tree,
        sha256=hashlib.sha256(raw).hexdigest(),
        files=sorted(files, key=lambda f: f.path),
        patch=text,
        truncated=truncated,
    )
