"""Review gates run inside a git worktree of the judged diff (codex exec refuses to run
outside a repository), removed afterwards; a reviewer's own error and exit code reach
`cockpit review`. Real supervisor, real git, real tmux, a real reviewer process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from gatekit import commit_file, gate_results, git, use_gates

# Shaped like `codex exec`: refuses outside a git work tree; reads the change with git.
GIT_REVIEWER = textwrap.dedent("""\
    import json, os, subprocess, sys
    sys.stdin.read()
    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True)
    inside = git("rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        print("Error: Not inside a trusted directory and --skip-git-repo-check was not specified.",
              file=sys.stderr)
        sys.exit(1)
    seen = {"cwd": os.getcwd(), "diff": git("diff", "HEAD").stdout,
            "status": git("status", "--porcelain").stdout, "log": git("log", "--format=%s", "-3").stdout}
    with open(os.environ["REVIEW_SEEN"], "w") as f:
        json.dump(seen, f)
    if os.environ.get("REVIEW_FAIL"):
        print("ERROR: unexpected status 401 Unauthorized: Missing bearer or basic authentication in header",
              file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"verdict": "approve", "findings": []}))
""")


def install_reviewer(repo: Path, tmp_path: Path, *, fail: bool) -> Path:
    script = tmp_path / "git_reviewer.py"
    script.write_text(GIT_REVIEWER)
    seen = tmp_path / "seen.json"
    env = {"REVIEW_SEEN": str(seen), **({"REVIEW_FAIL": "1"} if fail else {})}
    catalog = {
        "providers": {
            "gitrev": {
                "binary": sys.executable,
                "version_args": [],
                "headless": {"args": [str(script)], "prompt_via": "stdin"},
                "env": env,
            }
        }
    }
    commit_file(repo, ".cockpit/providers.yaml", json.dumps(catalog), "reviewer catalog")
    use_gates(repo, "gates:\n  review:\n    kind: review\n    provider: gitrev\n    timeout: 60\n    instructions: review it\n")
    return seen


WORK = (
    "@fake write a.txt committed\n@fake commit add a\n"
    "@fake append a.txt \\nand changed later\n@fake write b.txt brand new\n@fake exit 0"
)


def worktrees(repo: Path) -> list[str]:
    return [
        line.split(" ", 1)[1]
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


def test_the_reviewer_runs_in_a_git_worktree_of_the_diff_and_it_is_removed(cockpit, tmp_path: Path) -> None:
    seen_file = install_reviewer(cockpit.repo, tmp_path, fail=False)
    dispatch_id = cockpit.dispatch(WORK, "--risk", "low", "--gate", "review")
    cockpit.wait(dispatch_id, until="awaiting_approval", timeout=60)
    result = gate_results(cockpit, dispatch_id)["review"]
    assert result["status"] == "passed", result["summary"]
    seen = json.loads(seen_file.read_text())
    worktree = Path(cockpit.show(dispatch_id)["worktree"])
    assert Path(seen["cwd"]) != worktree  # never the dispatch's own worktree
    assert "add a" in seen["log"].splitlines()  # the dispatch's commits
    assert "+and changed later" in seen["diff"]  # its uncommitted change, uncommitted again
    assert "?? b.txt" in seen["status"].splitlines()  # its new file, untracked as it was
    assert not Path(seen["cwd"]).exists()
    assert seen["cwd"] not in worktrees(cockpit.repo)
    assert sorted(worktrees(cockpit.repo)) == sorted([str(cockpit.repo), str(worktree)])
    # the dispatch's worktree is as the worker left it
    assert subprocess.run(["git", "status", "--porcelain"], cwd=worktree, capture_output=True, text=True).stdout.splitlines() == [
        " M a.txt",
        "?? b.txt",
    ]


def test_a_failing_reviewer_s_error_and_exit_code_reach_cockpit_review(cockpit, tmp_path: Path) -> None:
    install_reviewer(cockpit.repo, tmp_path, fail=True)
    dispatch_id = cockpit.dispatch(WORK, "--risk", "low", "--gate", "review")
    cockpit.wait(dispatch_id, until="changes_requested", timeout=60)
    result = gate_results(cockpit, dispatch_id)["review"]
    assert result["status"] == "failed" and result["exit_code"] == 1
    expected = "gitrev exited 1: ERROR: unexpected status 401 Unauthorized: Missing bearer or basic authentication in header"
    assert expected in result["summary"]
    assert expected in cockpit.run("review", dispatch_id).stdout
