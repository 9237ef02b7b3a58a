"""A plain prompt (no @fake line) does something small and visible; `--help` prints the
language; the fake reviewer's findings name only what the diff it was given touched."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from fake_agent_helpers import AGENT, last_result

from cockpit.fake_agent.directives import Review, parse_prompt
from cockpit.fake_agent.plain import file_name_for, review_verdict


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_a_plain_prompt_writes_a_file_named_after_its_first_words_and_commits_it(run_agent, tmp_path: Path) -> None:
    work = tmp_path / "work"
    _git(work, "init", "-q", "-b", "main")
    done = run_agent("-p", "Add a greeting file, please\nmore words here")
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode().splitlines()
    assert out[:3] == [
        "reading the task: Add a greeting file, please",
        "writing add-a-greeting-file.txt",
        "committing add-a-greeting-file.txt",
    ]
    assert out[3].startswith("committed ") and out[4] == "done: wrote add-a-greeting-file.txt"
    assert last_result(done.stdout)["result"] == "done: wrote add-a-greeting-file.txt"
    assert "more words here" in (work / "add-a-greeting-file.txt").read_text()
    assert _git(work, "log", "-1", "--format=%s").strip() == "fake agent: Add a greeting file, please"
    assert _git(work, "status", "--porcelain") == ""


def test_a_plain_prompt_outside_git_writes_the_file_and_says_it_is_uncommitted(run_agent, tmp_path: Path) -> None:
    done = run_agent("-p", "Hello")
    assert done.returncode == 0, done.stderr
    assert b"not a git repository: left it uncommitted" in done.stdout
    assert (tmp_path / "work" / "hello.txt").exists()
    assert file_name_for("  \n!!!\n") == "fake-agent-note.txt"


@pytest.mark.integration  # runs the fake agent program
def test_help_prints_the_prompt_language() -> None:
    shown = subprocess.run([*AGENT, "--help"], capture_output=True, text=True, check=True).stdout
    for verb in (
        "@fake say",
        "@fake write",
        "@fake commit",
        "@fake ask",
        "@fake usage",
        "@fake exit",
        "@fake review",
        "A plain prompt",
    ):
        assert verb in shown


PROMPT = """You are reviewing a change a coding agent made, before a human decides whether to merge it.
@fake review
```diff
diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -10,3 +10,4 @@ def main():
     keep()
-    old()
+    new()
+    more()
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
```
"""


def test_the_fake_reviewer_names_the_file_and_line_of_the_diff_it_was_given() -> None:
    assert parse_prompt(PROMPT) == [Review(2, "approve")]
    verdict = json.loads(review_verdict(PROMPT, "approve"))
    assert verdict == {
        "verdict": "approve",
        "findings": [
            {
                "severity": "advisory",
                "file": "src/app.py",
                "line": 11,
                "message": "the fake reviewer read this change (+2 -1); no real review was done",
            }
        ],
    }
    rejected = json.loads(review_verdict(PROMPT, "reject"))
    assert rejected["verdict"] == "reject" and rejected["findings"][0]["severity"] == "blocking"
    empty = PROMPT[: PROMPT.index("```diff")] + "```diff\n\n```\n"
    assert json.loads(review_verdict(empty, "approve")) == {"verdict": "approve", "findings": []}
