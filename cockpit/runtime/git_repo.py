"""The git adapter: refs, per-dispatch worktrees, diff stats, merge checks (discovery: repo_discovery.py).

Rules kept here so that nothing done for one worker can touch another's work:
- every worktree/branch change runs under one FileLock shared by all processes of the repository;
- no command moves a branch other than the one being created or deleted (no checkout in the
  main checkout, no reset, deletion by compare-and-swap `update-ref -d <ref> <expected>`);
- reads never write the index (`GIT_OPTIONAL_LOCKS=0`; snapshots use a temporary index copy).
Commands run through GitPython's `Git.execute`; `discover_repo` (cockpit/runtime/repo_discovery.py,
re-exported here) uses plain subprocess in a module of its own because it runs on every CLI
call, which must not pay for GitPython (~70 ms) nor for compiling this module.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from cockpit.errors import CheckFailed, UsageError
from cockpit.runtime.filelock import FileLock
from cockpit.runtime.repo_discovery import RepoInfo as RepoInfo
from cockpit.runtime.repo_discovery import discover_repo as discover_repo

if TYPE_CHECKING:
    import git

BRANCH_PREFIX = "cockpit/"
READ_ONLY_ENV = {"GIT_OPTIONAL_LOCKS": "0"}
_DISPATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_FULL_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True)
class WorktreeInfo:
    branch: str
    path: Path
    base_commit: str


@dataclass(frozen=True)
class DiffStat:
    files: int
    added: int
    removed: int
    paths: list[str]


@dataclass(frozen=True)
class Snapshot:
    """A worktree's full state as git objects; nothing of the worktree's own index is written."""

    head: str
    index_tree: str  # what is staged (HEAD's tree when the index has unresolved conflicts)
    worktree_tree: str  # every tracked and untracked, not ignored file as it is on disk


@dataclass(frozen=True)
class MergeCheck:
    clean: bool
    tree: str | None
    conflicts: list[str]


def validate_dispatch_id(dispatch_id: str) -> None:
    if not _DISPATCH_ID.match(dispatch_id) or ".." in dispatch_id or dispatch_id.endswith((".", ".lock")):
        raise UsageError(f"invalid dispatch id {dispatch_id!r}: use 1-64 letters, digits, '.', '_' or '-'")


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].removeprefix("fatal: ").removeprefix("error: ") if lines else "no message"


def _is_within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


class GitRepo:
    """One repository; `lock_path` is the lock file shared by every cockpit process of it."""

    def __init__(self, toplevel: Path, lock_path: Path) -> None:
        import git  # imported here: discover_repo and the CLI's fast paths must not pay for it

        self.toplevel = Path(toplevel).resolve()
        self._git_module = git
        try:
            self.repo = git.Repo(self.toplevel)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise UsageError(
                f"not a git repository: {self.toplevel}", hint="run cockpit from a repository's working tree"
            ) from None
        self.common_dir = Path(self.repo.common_dir).resolve()
        self.lock = FileLock(lock_path)

    # -- running git -------------------------------------------------------------------------
    def _cmd(self, cwd: Path | None) -> git.Git:
        return self.repo.git if cwd is None else self._git_module.Git(str(cwd))

    @overload
    def run_git(
        self, *args: str, cwd: Path | None = ..., env: Mapping[str, str] | None = ..., raw: Literal[False] = ...
    ) -> str: ...
    @overload
    def run_git(self, *args: str, cwd: Path | None = ..., env: Mapping[str, str] | None = ..., raw: Literal[True]) -> bytes: ...
    def run_git(
        self, *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None, raw: bool = False
    ) -> str | bytes:
        """Run git; CheckFailed with git's own last line when it fails. raw: bytes, unstripped."""
        code, out, err = self.try_git(*args, cwd=cwd, env=env, raw=raw)
        if code != 0:
            raise CheckFailed(f"git {args[0]} failed: {_last_line(err)}")
        return out

    @overload
    def try_git(
        self, *args: str, cwd: Path | None = ..., env: Mapping[str, str] | None = ..., raw: Literal[False] = ...
    ) -> tuple[int, str, str]: ...
    @overload
    def try_git(
        self, *args: str, cwd: Path | None = ..., env: Mapping[str, str] | None = ..., raw: Literal[True]
    ) -> tuple[int, bytes, str]: ...
    @overload
    def try_git(
        self, *args: str, cwd: Path | None = ..., env: Mapping[str, str] | None = ..., raw: bool = ...
    ) -> tuple[int, str | bytes, str]: ...
    def try_git(
        self, *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None, raw: bool = False
    ) -> tuple[int, str | bytes, str]:
        code, out, err = self._cmd(cwd).execute(
            ["git", *args],
            env=dict(env or {}),
            with_extended_output=True,
            with_exceptions=False,
            stdout_as_string=not raw,
            strip_newline_in_stdout=not raw,
        )
        if out is None:  # only without stdout capture, which is never asked for here
            out = b"" if raw else ""
        return code, out, err if isinstance(err, str) else err.decode(errors="replace")

    # -- refs ----------------------------------------------------------------------------------
    def try_resolve(self, ref: str, cwd: Path | None = None) -> str | None:
        if not ref or ref.startswith("-") or any(c in ref for c in "\0\n"):
            return None
        code, out, _ = self.try_git(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", cwd=cwd, env=READ_ONLY_ENV
        )
        return str(out).strip() if code == 0 else None

    def resolve_commit(self, ref: str) -> str:
        if ref.startswith("-"):
            raise UsageError(f"unknown ref {ref!r}: a ref cannot start with '-'")
        sha = self.try_resolve(ref)
        if sha is None:
            raise UsageError(
                f"unknown ref {ref!r}: it names no commit in {self.toplevel}",
                hint="pass a branch, tag or commit id (see `git log --oneline`)",
            )
        return sha

    def ref_commit(self, full_ref: str) -> str | None:
        return self.try_resolve(full_ref) if full_ref.startswith("refs/") else None

    def branch_exists(self, name: str) -> bool:
        code, _, _ = self.try_git("show-ref", "--verify", "--quiet", f"refs/heads/{name}", env=READ_ONLY_ENV)
        return code == 0

    def is_ancestor(self, commit: str, of: str) -> bool:
        code, _, err = self.try_git("merge-base", "--is-ancestor", commit, of, env=READ_ONLY_ENV)
        if code > 1:
            raise CheckFailed(f"git merge-base failed: {_last_line(err)}")
        return code == 0

    def refs_containing(self, commit: str) -> list[str]:
        out = self.run_git("for-each-ref", "--format=%(refname)", "--contains", commit, env=READ_ONLY_ENV)
        return out.splitlines()

    def main_checkout_branch(self) -> str | None:
        """The main checkout's current branch (full ref), None when detached: `git symbolic-ref
        HEAD`, read from the HEAD file where it is the plain files layout (every dispatch asks)."""
        try:
            head = (Path(self.repo.git_dir) / "HEAD").read_text()
        except OSError:
            head = ""
        ref = head.strip().removeprefix("ref: ") if head.startswith("ref: refs/") else None
        if ref is not None and ref != "refs/heads/.invalid" and not any(c.isspace() for c in ref):
            return ref
        if _FULL_COMMIT_ID.fullmatch(head.strip()):
            return None  # detached
        code, out, _ = self.try_git("symbolic-ref", "--quiet", "HEAD", env=READ_ONLY_ENV)  # reftable, or odd
        return (str(out).strip() or None) if code == 0 else None

    def merge_base(self, a: str, b: str) -> str | None:
        code, out, _ = self.try_git("merge-base", a, b, env=READ_ONLY_ENV)
        return str(out).strip() if code == 0 else None

    def merge_check(self, into: str, other: str) -> MergeCheck:
        """Would merging `other` into `into` conflict? Writes objects only, no ref nor worktree."""
        code, out, err = self.try_git("merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", into, other, raw=True)
        if code not in (0, 1):
            raise CheckFailed(f"git merge-tree failed: {_last_line(err)}")
        fields = [f.decode(errors="surrogateescape") for f in bytes(out).split(b"\0") if f]
        return MergeCheck(clean=code == 0, tree=fields[0] if fields else None, conflicts=fields[1:])

    # -- worktrees -----------------------------------------------------------------------------
    def registered_worktrees(self) -> dict[Path, str | None]:
        """Linked and main worktrees git knows of: path -> branch ref (None when detached)."""
        out = self.run_git("worktree", "list", "--porcelain", "-z", raw=True)
        result: dict[Path, str | None] = {}
        current: Path | None = None
        for field in bytes(out).decode(errors="surrogateescape").split("\0"):
            if field.startswith("worktree "):
                current = Path(field[9:]).resolve()
                result[current] = None
            elif field.startswith("branch ") and current is not None:
                result[current] = field[7:]
        return result

    def prune_worktrees(self) -> None:
        """Forget worktrees whose directory is gone (their branches are untouched)."""
        with self.lock:
            self.run_git("worktree", "prune")

    def create_worktree(self, dispatch_id: str, path: Path, base_ref: str) -> WorktreeInfo:
        """Branch `cockpit/<id>` at `base_ref` checked out at `path` (outside the checkout).

        A full commit id (what the supervisor passes: the commit resolved at dispatch) is
        handed to git as it is; an unknown one, or a branch that already exists, is named
        once `git worktree add` refuses, which leaves nothing behind. That spares every
        dispatch two git processes before its worktree exists (docs/benchmarks.md, figure 3).
        """
        validate_dispatch_id(dispatch_id)
        path = Path(path).absolute()
        branch = BRANCH_PREFIX + dispatch_id
        if _is_within(path.resolve(), self.toplevel) and not _is_within(path.resolve(), self.common_dir):
            raise UsageError(
                f"worktree path {path} is inside the checkout {self.toplevel}", hint="put worktrees in cockpit's state directory"
            )
        with self.lock:
            base_commit = base_ref if _FULL_COMMIT_ID.fullmatch(base_ref) else self.resolve_commit(base_ref)
            if os.path.lexists(path):
                self.resolve_commit(base_commit)  # an unknown ref is named first, as it always was
                raise UsageError(
                    f"cannot create worktree: {path} already exists", hint="choose a new dispatch id or remove that path"
                )
            made_parent = not path.parent.is_dir()
            path.parent.mkdir(parents=True, exist_ok=True)
            code, _, err = self.try_git("worktree", "add", "--quiet", "--no-track", "-b", branch, "--", str(path), base_commit)
            if code != 0:
                if made_parent:
                    with suppress(OSError):
                        path.parent.rmdir()
                self.resolve_commit(base_commit)
                if self.branch_exists(branch):
                    raise UsageError(f"cannot create worktree: branch {branch} already exists", hint="choose a new dispatch id")
                raise CheckFailed(f"git worktree failed: {_last_line(err)}")
        return WorktreeInfo(branch=branch, path=path, base_commit=base_commit)

    def remove_worktree(self, path: Path, branch: str, *, archive_commit: str | None = None) -> None:
        """Remove the worktree at `path` and delete `branch`, refusing if that would lose work.

        Without `archive_commit` the worktree must have no staged, unstaged or untracked change
        and the branch head must be reachable from another ref. With it, that commit must be an
        archive ref's commit holding exactly the worktree's current state (see teardown.py).
        """
        path = Path(path).resolve()
        with self.lock:
            registered = self.registered_worktrees()
            if path in registered and not path.exists():
                self.run_git("worktree", "prune")
                registered.pop(path)
            head = self.ref_commit(f"refs/heads/{branch}")
            if path in registered:
                reason = self._unsaved_work(path, head, branch, archive_commit)
                if reason:
                    raise CheckFailed(
                        f"refusing to remove worktree {path}: {reason}",
                        hint="tear it down through cockpit so that its work is archived first",
                    )
                self.run_git("worktree", "remove", "--force", "--force", "--", str(path))
            elif head is not None and not self._preserved(head, branch, archive_commit):
                raise CheckFailed(f"refusing to delete branch {branch}: its commits are on no other ref")
            if head is not None:
                # Compare-and-swap: fails instead of deleting if the branch moved meanwhile.
                self.run_git("update-ref", "-m", "cockpit teardown", "-d", f"refs/heads/{branch}", head)

    def _preserved(self, commit: str, branch: str, archive_commit: str | None) -> bool:
        if archive_commit is not None and self.is_ancestor(commit, archive_commit):
            return any(r.startswith("refs/cockpit/archive/") for r in self.refs_containing(archive_commit))
        return any(r != f"refs/heads/{branch}" for r in self.refs_containing(commit))

    def _unsaved_work(self, path: Path, branch_head: str | None, branch: str, archive_commit: str | None) -> str | None:
        snap = self.snapshot(path)
        if (
            branch_head is not None
            and not self.is_ancestor(branch_head, snap.head)
            and not (archive_commit and self._preserved(branch_head, branch, archive_commit))
        ):
            return f"branch {branch} has commits the worktree's HEAD does not"
        if archive_commit is None:
            head_tree = self.run_git("rev-parse", f"{snap.head}^{{tree}}")
            if snap.index_tree != head_tree or snap.worktree_tree != head_tree:
                return "it has uncommitted or untracked changes"
            if not self._preserved(snap.head, branch, None):
                return "its commits are on no other ref"
            return None
        parents = self.run_git("rev-parse", f"{archive_commit}^1", f"{archive_commit}^2").split()
        trees = self.run_git("rev-parse", f"{archive_commit}^{{tree}}", f"{archive_commit}^2^{{tree}}").split()
        if parents[0] != snap.head or trees != [snap.worktree_tree, snap.index_tree]:
            return f"archive {archive_commit[:12]} does not hold its current state"
        if not self._preserved(snap.head, branch, archive_commit):
            return f"archive {archive_commit[:12]} is not under refs/cockpit/archive/"
        return None

    # -- worktree state ------------------------------------------------------------------------
    def head_commit(self, worktree: Path) -> str:
        code, out, _ = self.try_git("rev-parse", "--verify", "--quiet", "HEAD", cwd=worktree, env=READ_ONLY_ENV)
        if code != 0:
            raise CheckFailed(
                f"worktree {worktree} has no HEAD commit (was its branch deleted?)",
                hint="check out a commit there, or recreate the branch, then retry",
            )
        return str(out).strip()

    @contextmanager
    def _temporary_index(self, worktree: Path) -> Iterator[dict[str, str]]:
        """Env naming a private copy of the worktree's index (copy2 keeps the stat data valid)."""
        import shutil  # here, with tempfile: the CLI imports this module for discover_repo alone
        import tempfile

        real = Path(self.run_git("rev-parse", "--path-format=absolute", "--git-path", "index", cwd=worktree))
        with tempfile.TemporaryDirectory(prefix="cockpit-index-") as tmp:
            index = Path(tmp) / "index"
            if real.exists():
                shutil.copy2(real, index)
            yield {"GIT_INDEX_FILE": str(index), **READ_ONLY_ENV}

    def snapshot(self, worktree: Path) -> Snapshot:
        """Staged tree and full on-disk tree (not ignored files) of `worktree`, as git objects."""
        head = self.head_commit(worktree)
        with self._temporary_index(worktree) as env:
            code, out, _ = self.try_git("write-tree", cwd=worktree, env=env)
            index_tree = str(out).strip() if code == 0 else self.run_git("rev-parse", f"{head}^{{tree}}")
            self.run_git("add", "--all", "--", ".", cwd=worktree, env=env)
            worktree_tree = self.run_git("write-tree", cwd=worktree, env=env)
        return Snapshot(head=head, index_tree=index_tree, worktree_tree=worktree_tree)

    def worktree_fingerprint(self, worktree: Path, base_commit: str) -> tuple[str, str]:
        """(HEAD, sha256 of the raw diff base -> on-disk state incl. untracked); index untouched.

        The raw diff names each changed path with its modes and blob ids, so any byte or mode
        change gives another digest; plumbing output does not depend on diff config or colour.
        """
        snap = self.snapshot(worktree)
        raw = self.run_git(
            "diff-tree",
            "-r",
            "-z",
            "--raw",
            "--no-renames",
            "--full-index",
            base_commit,
            snap.worktree_tree,
            cwd=worktree,
            raw=True,
        )
        return snap.head, hashlib.sha256(bytes(raw)).hexdigest()

    def diff_stat(self, worktree: Path, base_commit: str) -> DiffStat:
        """Committed + uncommitted + untracked changes vs base; writes no index and no object."""
        # Plumbing diff-index: porcelain `git diff <commit>` rewrites a stat-dirty index even with
        # GIT_OPTIONAL_LOCKS=0 (git 2.39).
        numstat = self.run_git(
            "diff-index", "--numstat", "-z", "--no-renames", base_commit, "--", cwd=worktree, env=READ_ONLY_ENV, raw=True
        )
        paths: list[str] = []
        added = removed = 0
        for record in bytes(numstat).split(b"\0"):
            if not record:
                continue
            plus, minus, name = record.split(b"\t", 2)
            added += int(plus) if plus != b"-" else 0
            removed += int(minus) if minus != b"-" else 0
            paths.append(name.decode(errors="surrogateescape"))
        for untracked in self.untracked_paths(worktree):
            paths.append(untracked)
            added += _count_lines(worktree / untracked)
        return DiffStat(files=len(paths), added=added, removed=removed, paths=sorted(paths))

    def untracked_paths(self, worktree: Path, *, ignored: bool = False) -> list[str]:
        """Untracked, not ignored files; with ignored=True the ignored ones (directories collapsed)."""
        args = ["ls-files", "-z", "--others", "--exclude-standard"]
        if ignored:
            args += ["--ignored", "--directory"]
        out = self.run_git(*args, "--", cwd=worktree, env=READ_ONLY_ENV, raw=True)
        return [p.decode(errors="surrogateescape") for p in bytes(out).split(b"\0") if p]


def _count_lines(path: Path) -> int:
    """Lines git's numstat would count for a new file: 0 for binary, a symlink is one line."""
    try:
        data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    except OSError:
        return 0
    if not data or b"\0" in data[:8000]:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
