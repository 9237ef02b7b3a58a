"""`@fake commit` against real temporary git repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fake_agent_helpers import RunAgent, last_result


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def isolated_git_env(home: Path) -> dict[str, str]:
    """No global or system git config, no identity in the environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", GIT_CEILING_DIRECTORIES=str(home))
    return env


def test_commit_adds_everything_and_commits_with_the_configured_identity(run_agent: RunAgent, repo: Path) -> None:
    prompt = "@fake write src/new.py print('hi')\\n\n@fake delete README.md\n@fake commit feat: add new.py"
    done = run_agent("-p", prompt, cwd=repo)
    assert done.returncode == 0, done.stderr
    head = git(repo, "rev-parse", "--short", "HEAD")
    assert done.stdout.decode().splitlines()[0] == f"committed {head}: feat: add new.py"
    assert git(repo, "log", "-1", "--format=%s|%an|%ae") == "feat: add new.py|Test|test@example.com"
    assert git(repo, "ls-tree", "-r", "--name-only", "HEAD").splitlines() == ["src/new.py"]
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "show", "HEAD:src/new.py") == "print('hi')"


def test_nothing_to_commit_is_a_success_with_a_note(run_agent: RunAgent, repo: Path) -> None:
    before = git(repo, "rev-parse", "HEAD")
    done = run_agent("-p", "@fake commit nothing changed\n@fake say still going", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines()[:2] == ["nothing to commit", "still going"]
    assert git(repo, "rev-parse", "HEAD") == before


def test_a_repo_without_identity_gets_the_fallback_identity(run_agent: RunAgent, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    fresh = home / "fresh"
    env = isolated_git_env(home)
    subprocess.run(["git", "init", "-q", str(fresh)], check=True, env=env)
    done = run_agent("-p", "@fake write a.txt a\n@fake commit first", cwd=fresh, env=env)
    assert done.returncode == 0, done.stderr
    identity = subprocess.run(
        ["git", "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s"], cwd=fresh, env=env, capture_output=True, text=True
    ).stdout.strip()
    assert identity == "cockpit-fake-agent <fake@cockpit.invalid>|cockpit-fake-agent <fake@cockpit.invalid>|first"


def test_commit_outside_a_repository_fails_with_exit_1(run_agent: RunAgent, tmp_path: Path) -> None:
    home = tmp_path / "home"
    plain = home / "plain"
    plain.mkdir(parents=True)
    done = run_agent("-p", "@fake write a.txt a\n@fake commit nope\n@fake say never", cwd=plain, env=isolated_git_env(home))
    assert done.returncode == 1
    assert b"never" not in done.stdout
    assert "line 2: @fake commit: git add -A failed: fatal: not a git repository" in done.stderr.decode()
    result = last_result(done.stdout)
    assert (result["is_error"], result["subtype"], result["exit_code"]) == (True, "error_during_execution", 1)
