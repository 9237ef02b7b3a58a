"""The code moves by git: a cockpit-managed bare clone on the host, a worktree per dispatch,
and the worker's work fetched back into a local mirror worktree.

Why a local mirror: gates judge, and approval promotes, the diff of a local worktree
(runtime/diffs.py hashes its snapshot). `sync` makes the mirror hold exactly what the remote
worktree holds (commits, and every tracked or untracked, not ignored, file), so the diff
hash computed here is the hash of the remote work. Teardown archives the mirror into
`refs/cockpit/archive/<id>` (runtime/teardown.py) and only then removes anything on the host.

git runs on the host with the host's PATH (`--receive-pack`/`--upload-pack` carry the
host's `env`), and its ssh rides the shared master connection (GIT_SSH_COMMAND).
"""

from __future__ import annotations

import os
from pathlib import Path

from cockpit.errors import CheckFailed, UsageError
from cockpit.runtime import teardown as git_teardown
from cockpit.runtime.git_repo import GitRepo
from cockpit.runtime.remote_layout import RemoteLayout
from cockpit.runtime.ssh import SshError, SshLink, quote_all

SNAPSHOT_PREFIX = "refs/cockpit/snapshot/"  # on the host: the worktree as a commit
REMOTE_PREFIX = "refs/cockpit/remote/"  # here: what was fetched back, per dispatch
GIT_TIMEOUT_S = 600.0
_IDENTITY = ["-c", "user.name=cockpit", "-c", "user.email=cockpit@localhost"]


class RemoteGit:
    def __init__(self, link: SshLink, layout: RemoteLayout, repo: GitRepo) -> None:
        self.link = link
        self.layout = layout
        self.repo = repo

    # -- moving objects ---------------------------------------------------------------------

    def url(self) -> str:
        destination = self.link.destination
        if destination.startswith("ssh://"):
            return destination.rstrip("/") + self.layout.repo
        return f"{destination}:{self.layout.repo}"

    def _host_program(self, program: str) -> str:
        """`git-receive-pack` etc. run with the host's `env` (its PATH may be the only way to git)."""
        if not self.link.remote_env:
            return program
        return quote_all(["env", *(f"{k}={v}" for k, v in self.link.remote_env.items()), program])

    def _local_git_env(self) -> dict[str, str]:
        return {"GIT_SSH_COMMAND": self.link.git_ssh_command(), "GIT_SSH_VARIANT": "ssh", "GIT_TERMINAL_PROMPT": "0"}

    def push_base(self, dispatch_id: str, base_commit: str) -> None:
        """The host's clone gets the base commit (only objects it lacks travel)."""
        self.remote(f"[ -d {quote_all([self.layout.repo])} ] || git init -q --bare {quote_all([self.layout.repo])}")
        self.repo.run_git(
            "push",
            "--quiet",
            f"--receive-pack={self._host_program('git-receive-pack')}",
            self.url(),
            f"{base_commit}:refs/cockpit/base/{dispatch_id}",
            env=self._local_git_env(),
        )

    def fetch(self, dispatch_id: str) -> tuple[str, str]:
        """Fetch the worker's branch head and worktree snapshot; (head, snapshot) commits here."""
        here = f"{REMOTE_PREFIX}{dispatch_id}"
        self.repo.run_git(
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            f"--upload-pack={self._host_program('git-upload-pack')}",
            self.url(),
            f"+refs/heads/cockpit/{dispatch_id}:{here}/head",
            f"+{SNAPSHOT_PREFIX}{dispatch_id}:{here}/snapshot",
            env=self._local_git_env(),
        )
        head = self.repo.ref_commit(f"{here}/head")
        snapshot = self.repo.ref_commit(f"{here}/snapshot")
        if head is None or snapshot is None:
            raise CheckFailed(f"fetching {dispatch_id} back from {self.link.destination} brought no commits")
        return head, snapshot

    # -- on the host ------------------------------------------------------------------------

    def remote(self, script: str) -> str:
        result = self.link.run("set -e\n" + script, timeout=GIT_TIMEOUT_S)
        if result.code != 0:
            last = (result.stderr.strip().splitlines() or [f"exit {result.code}"])[-1]
            raise CheckFailed(f"on {self.link.destination}: {last}")
        return result.stdout

    def add_worktree(self, dispatch_id: str, base_commit: str) -> None:
        worktree = self.layout.worktree(dispatch_id)
        repo = quote_all([self.layout.repo])
        self.remote(
            f"mkdir -p {quote_all([os.path.dirname(worktree), self.layout.run_dir(dispatch_id)])}\n"
            f"git -C {repo} worktree add -q --no-track -b {quote_all(['cockpit/' + dispatch_id, worktree, base_commit])}"
        )

    def snapshot(self, dispatch_id: str) -> None:
        """On the host: the worktree's files as a commit on top of its HEAD (a temporary index,
        so the worker's own index is untouched), kept at refs/cockpit/snapshot/<id>. Its second
        parent holds what was staged (the index's tree; HEAD's when it cannot be written, as
        with a conflict), so the mirror, and the archive made from it, keep staged apart."""
        worktree = quote_all([self.layout.worktree(dispatch_id)])
        ref = quote_all([SNAPSHOT_PREFIX + dispatch_id])
        identity = " ".join(_IDENTITY)
        self.remote(
            f"cd {worktree}\n"
            "tmp=$(mktemp); trap 'rm -f \"$tmp\"' EXIT\n"
            'cp "$(git rev-parse --git-path index)" "$tmp" 2>/dev/null || rm -f "$tmp"\n'
            "staged=''; [ -f \"$tmp\" ] && staged=$(GIT_INDEX_FILE=$tmp git write-tree 2>/dev/null) || true\n"
            '[ -n "$staged" ] || staged=$(git rev-parse "HEAD^{tree}")\n'
            "GIT_INDEX_FILE=$tmp git add -A\n"
            "tree=$(GIT_INDEX_FILE=$tmp git write-tree)\n"
            f'index=$(git {identity} commit-tree "$staged" -p HEAD -m {quote_all(["cockpit index of " + dispatch_id])})\n'
            f'commit=$(git {identity} commit-tree "$tree" -p HEAD -p "$index" -m {quote_all(["cockpit snapshot of " + dispatch_id])})\n'
            f'git update-ref {ref} "$commit"\n'
        )

    def remove(self, dispatch_id: str) -> None:
        """Remove the host's worktree, branch, refs and run directory (after the local archive)."""
        repo = quote_all([self.layout.repo])
        worktree = quote_all([self.layout.worktree(dispatch_id)])
        self.remote(
            f"git -C {repo} worktree remove --force {worktree} 2>/dev/null || rm -rf {worktree}\n"
            f"git -C {repo} worktree prune\n"
            f"git -C {repo} branch -q -D {quote_all(['cockpit/' + dispatch_id])} 2>/dev/null || true\n"
            f"git -C {repo} update-ref -d {quote_all([SNAPSHOT_PREFIX + dispatch_id])} 2>/dev/null || true\n"
            f"git -C {repo} update-ref -d {quote_all(['refs/cockpit/base/' + dispatch_id])} 2>/dev/null || true\n"
            f"rm -rf {quote_all([self.layout.run_dir(dispatch_id)])}\n"
        )

    def restore(self, dispatch_id: str, mirror: Path) -> git_teardown.RestoreResult:
        """Bring an archive (runtime/teardown.py) back here at `mirror` and on the host as its
        worktree on `cockpit/<id>`: HEAD, then every file as archived, then the index as it was
        staged. All or nothing: a failure removes what was made, there and here."""
        if self.exists(dispatch_id):
            raise UsageError(f"cannot restore {dispatch_id} on {self.link.destination}: its worktree there already exists")
        result = git_teardown.restore(self.repo, dispatch_id, mirror)  # checks archive, path and branch first
        archive = self.repo.run_git("rev-parse", git_teardown.archive_ref_name(dispatch_id))
        try:
            self._restore_there(dispatch_id, archive, result.head)
        except (CheckFailed, SshError):
            self.repo.remove_worktree(result.worktree, result.branch, archive_commit=archive)
            raise
        return result

    def _restore_there(self, dispatch_id: str, archive: str, head: str) -> None:
        repo = quote_all([self.layout.repo])
        ref = f"refs/cockpit/restore/{dispatch_id}"
        _head, index_tree, _tree, _ = git_teardown.archive_parts(self.repo, archive)
        self.remote(f"[ -d {repo} ] || git init -q --bare {repo}")
        self.repo.run_git(
            "push",
            "--quiet",
            f"--receive-pack={self._host_program('git-receive-pack')}",
            self.url(),
            f"{archive}:{ref}",
            env=self._local_git_env(),
        )
        worktree = quote_all([self.layout.worktree(dispatch_id)])
        try:
            self.remote(
                f"mkdir -p {quote_all([os.path.dirname(self.layout.worktree(dispatch_id))])}\n"
                f"git -C {repo} worktree add -q --no-track -b {quote_all(['cockpit/' + dispatch_id])} {worktree} {head}\n"
                f"cd {worktree}\n"
                f"git read-tree --reset -u {quote_all([archive + '^{tree}'])}\n"
                f"git read-tree {index_tree}\n"
                "git update-index -q --refresh || true\n"
            )
        except CheckFailed:
            self.remove(dispatch_id)
            raise
        finally:
            self.remote(f"git -C {repo} update-ref -d {quote_all([ref])} 2>/dev/null || true")

    def exists(self, dispatch_id: str) -> bool:
        result = self.link.run(f"[ -d {quote_all([self.layout.worktree(dispatch_id)])} ]", timeout=GIT_TIMEOUT_S)
        return result.code == 0

    # -- the local mirror -------------------------------------------------------------------

    def sync(self, dispatch_id: str, mirror: Path) -> str:
        """Make the local mirror worktree hold the remote worktree's state; returns its HEAD.

        The branch moves to the remote HEAD, the files become the remote snapshot's files
        (untracked ones stay untracked, staged ones staged), and nothing but the mirror is touched."""
        self.snapshot(dispatch_id)
        head, snapshot = self.fetch(dispatch_id)
        with self.repo.lock:
            self.repo.run_git("reset", "-q", "--hard", head, cwd=mirror)
            self.repo.run_git("clean", "-q", "-f", "-d", cwd=mirror)
            self.repo.run_git("read-tree", "-u", "--reset", f"{snapshot}^{{tree}}", cwd=mirror)
            if self.repo.try_git("rev-parse", "-q", "--verify", f"{snapshot}^2")[0] == 0:
                self.repo.run_git("read-tree", f"{snapshot}^2^{{tree}}", cwd=mirror)  # staged as it was there
            else:
                self.repo.run_git("reset", "-q", cwd=mirror)
        return head

    def forget(self, dispatch_id: str) -> None:
        """Drop the fetched-back refs (the archive, if any, keeps what they held)."""
        for name in ("head", "snapshot"):
            self.repo.try_git("update-ref", "-d", f"{REMOTE_PREFIX}{dispatch_id}/{name}")
