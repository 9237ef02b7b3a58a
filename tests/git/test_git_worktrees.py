"""Discovery, refs and per-dispatch worktrees against a real repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from gitkit import commit_all, git, init_repo, open_repo

from cockpit.errors import CheckFailed, UsageError
from cockpit.runtime.git_repo import GitRepo, discover_repo

pytestmark = pytest.mark.integration  # real git repositories


def test_discover_repo_from_subdir_and_linked_worktree(main_repo: Path, tmp_path: Path) -> None:
    head = git(main_repo, "rev-parse", "HEAD").strip()
    info = discover_repo(main_repo / "src")
    assert info.toplevel == main_repo.resolve()
    assert info.common_dir == (main_repo / ".git").resolve()
    assert (info.current_branch, info.head) == ("main", head)
    git(main_repo, "worktree", "add", "-q", "--detach", str(tmp_path / "linked"))
    linked = discover_repo(tmp_path / "linked")
    assert linked.toplevel == main_repo.resolve()  # the main worktree, not the linked one
    assert linked.current_branch == "main"


def test_discover_repo_reads_packed_refs_detached_and_unborn(main_repo: Path, tmp_path: Path) -> None:
    git(main_repo, "pack-refs", "--all")
    head = git(main_repo, "rev-parse", "HEAD").strip()
    assert discover_repo(main_repo).head == head
    git(main_repo, "checkout", "-q", "--detach")
    assert (discover_repo(main_repo).current_branch, discover_repo(main_repo).head) == (None, head)
    unborn = tmp_path / "unborn"
    unborn.mkdir()
    git(unborn, "init", "-q", "-b", "trunk")
    info = discover_repo(unborn)
    assert (info.current_branch, info.head) == ("trunk", None)


def test_discover_repo_rejects_non_repo_and_bare(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(UsageError, match=r"^not inside a git repository \(.*\): run cockpit from"):
        discover_repo(plain)
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "bare.git")], check=True)
    with pytest.raises(UsageError, match="bare repository"):
        discover_repo(tmp_path / "bare.git")


def test_create_worktree_outside_checkout_on_its_own_branch(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    head = git(main_repo, "rev-parse", "HEAD").strip()
    info = grepo.create_worktree("01HX1", wt_root / "01HX1", "HEAD")
    assert info.branch == "cockpit/01HX1"
    assert info.base_commit == head
    assert info.path == wt_root / "01HX1"
    assert not info.path.resolve().is_relative_to(main_repo.resolve())
    assert git(info.path, "rev-parse", "--abbrev-ref", "HEAD").strip() == "cockpit/01HX1"
    assert git(info.path, "rev-parse", "HEAD").strip() == head
    assert (info.path / "run.sh").stat().st_mode & 0o100
    assert (info.path / "link").is_symlink()
    assert git(main_repo, "status", "--porcelain") == ""
    assert git(main_repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_create_worktree_on_another_base_ref(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    first = git(main_repo, "rev-parse", "HEAD").strip()
    git(main_repo, "tag", "v1")
    (main_repo / "README.md").write_text("second\n")
    commit_all(main_repo, "second")
    info = grepo.create_worktree("t1", wt_root / "t1", "v1")
    assert info.base_commit == first
    assert (info.path / "README.md").read_text() == "hello\n"


def test_worktrees_do_not_move_each_others_branches(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    main_head = git(main_repo, "rev-parse", "main").strip()
    a = grepo.create_worktree("a", wt_root / "a", "HEAD")
    b = grepo.create_worktree("b", wt_root / "b", "HEAD")
    (a.path / "a.txt").write_text("from a\n")
    a_head = commit_all(a.path, "a")
    c = grepo.create_worktree("c", wt_root / "c", "HEAD")
    (b.path / "b.txt").write_text("from b\n")
    b_head = commit_all(b.path, "b")
    grepo.remove_worktree(c.path, c.branch)  # clean: allowed, touches nothing else
    assert git(main_repo, "rev-parse", "cockpit/a").strip() == a_head
    assert git(main_repo, "rev-parse", "cockpit/b").strip() == b_head
    assert git(main_repo, "rev-parse", "main").strip() == main_head
    assert not (b.path / "a.txt").exists() and not (a.path / "b.txt").exists()
    assert not grepo.branch_exists("cockpit/c")


def test_unknown_and_option_like_refs_are_usage_errors(grepo: GitRepo, wt_root: Path) -> None:
    with pytest.raises(UsageError, match=r"^unknown ref 'nope': "):
        grepo.resolve_commit("nope")
    with pytest.raises(UsageError, match="unknown ref '--all'"):
        grepo.resolve_commit("--all")
    with pytest.raises(UsageError, match="unknown ref 'nope'"):
        grepo.create_worktree("x1", wt_root / "x1", "nope")
    assert not (wt_root / "x1").exists()
    assert not grepo.branch_exists("cockpit/x1")
    blob = git(grepo.toplevel, "rev-parse", "HEAD:README.md").strip()
    with pytest.raises(UsageError, match="unknown ref"):
        grepo.resolve_commit(blob)  # a blob is not a commit


def test_create_refuses_existing_branch_path_bad_id_and_path_in_checkout(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    grepo.create_worktree("dup", wt_root / "dup", "HEAD")
    with pytest.raises(UsageError, match="already exists"):
        grepo.create_worktree("dup", wt_root / "dup2", "HEAD")
    (wt_root / "taken").mkdir()
    with pytest.raises(UsageError, match="already exists"):
        grepo.create_worktree("taken", wt_root / "taken", "HEAD")
    assert not grepo.branch_exists("cockpit/taken")
    for bad in ("../x", "-x", "a b", "x.lock", ""):
        with pytest.raises(UsageError, match="invalid dispatch id"):
            grepo.create_worktree(bad, wt_root / "bad", "HEAD")
    with pytest.raises(UsageError, match="inside the checkout"):
        grepo.create_worktree("inside", main_repo / "wt", "HEAD")
    assert git(main_repo, "status", "--porcelain") == ""


def test_remove_worktree_refuses_to_lose_work(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    dirty = grepo.create_worktree("dirty", wt_root / "dirty", "HEAD")
    (dirty.path / "new.txt").write_text("untracked work\n")
    with pytest.raises(CheckFailed, match="uncommitted or untracked"):
        grepo.remove_worktree(dirty.path, dirty.branch)
    assert (dirty.path / "new.txt").exists() and grepo.branch_exists(dirty.branch)

    committed = grepo.create_worktree("committed", wt_root / "committed", "HEAD")
    (committed.path / "c.txt").write_text("committed work\n")
    commit_all(committed.path)
    with pytest.raises(CheckFailed, match="on no other ref"):
        grepo.remove_worktree(committed.path, committed.branch)
    assert committed.path.exists() and grepo.branch_exists(committed.branch)
    git(main_repo, "branch", "keep", committed.branch)  # now reachable elsewhere: removal is safe
    grepo.remove_worktree(committed.path, committed.branch)
    assert not committed.path.exists() and not grepo.branch_exists(committed.branch)


def test_merge_helpers(grepo: GitRepo, main_repo: Path, wt_root: Path) -> None:
    a = grepo.create_worktree("ma", wt_root / "ma", "HEAD")
    b = grepo.create_worktree("mb", wt_root / "mb", "HEAD")
    (a.path / "README.md").write_text("a\n")
    commit_all(a.path)
    (b.path / "README.md").write_text("b\n")
    commit_all(b.path)
    check = grepo.merge_check("cockpit/ma", "cockpit/mb")
    assert (check.clean, check.conflicts) == (False, ["README.md"])
    assert grepo.merge_check("main", "cockpit/ma").clean
    assert grepo.merge_base("cockpit/ma", "cockpit/mb") == git(main_repo, "rev-parse", "main").strip()
    assert grepo.is_ancestor("main", "cockpit/ma") and not grepo.is_ancestor("cockpit/ma", "main")
    assert git(main_repo, "status", "--porcelain") == ""


def test_repo_in_subdirectory_state_dir_inside_git_dir_allowed(tmp_path: Path) -> None:
    root = init_repo(tmp_path / "r2")
    repo = GitRepo(root, root / ".git" / "cockpit" / "git.lock")
    info = repo.create_worktree("g1", root / ".git" / "cockpit" / "wt" / "g1", "main")
    assert git(root, "status", "--porcelain") == ""
    assert info.path.exists()


def test_a_full_commit_id_goes_straight_to_git_and_refusals_still_name_the_cause(grepo: GitRepo, wt_root: Path) -> None:
    head = grepo.resolve_commit("HEAD")
    made = grepo.create_worktree("fast", wt_root / "fast", head)
    assert (made.base_commit, git(made.path, "rev-parse", "HEAD").strip()) == (head, head)
    with pytest.raises(UsageError, match="branch cockpit/fast already exists"):
        grepo.create_worktree("fast", wt_root / "fast2", head)
    assert not (wt_root / "fast2").exists()
    missing = "0123456789" * 4
    fresh = wt_root.parent / "fresh-root" / "one"  # its parent does not exist yet: not left behind
    with pytest.raises(UsageError, match=f"^unknown ref '{missing}'"):
        grepo.create_worktree("gone", fresh, missing)
    assert not fresh.parent.exists() and not grepo.branch_exists("cockpit/gone")
    tree = git(grepo.toplevel, "rev-parse", "HEAD^{tree}").strip()
    with pytest.raises(UsageError, match="unknown ref"):  # a tree is not a commit
        grepo.create_worktree("tree", wt_root / "tree", tree)
    (wt_root / "taken").mkdir()
    with pytest.raises(UsageError, match=f"^unknown ref '{missing}'"):  # named first, as before
        grepo.create_worktree("taken", wt_root / "taken", missing)
    assert git(grepo.toplevel, "worktree", "list", "--porcelain").count("worktree ") == 2  # main and `fast`


def test_the_main_checkout_branch_is_what_git_symbolic_ref_says(grepo: GitRepo, main_repo: Path, tmp_path: Path) -> None:
    def symbolic_ref(repo: Path) -> str | None:
        done = subprocess.run(["git", "symbolic-ref", "--quiet", "HEAD"], cwd=repo, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    assert grepo.main_checkout_branch() == symbolic_ref(main_repo) == "refs/heads/main"
    git(main_repo, "switch", "-q", "-c", "feature/x")
    assert grepo.main_checkout_branch() == symbolic_ref(main_repo) == "refs/heads/feature/x"
    git(main_repo, "switch", "-q", "--detach")
    assert grepo.main_checkout_branch() is symbolic_ref(main_repo) is None
    unborn = tmp_path / "unborn"
    unborn.mkdir()
    git(unborn, "init", "-q", "-b", "main")
    assert open_repo(unborn).main_checkout_branch() == symbolic_ref(unborn) == "refs/heads/main"
