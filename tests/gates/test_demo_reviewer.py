"""The demo's gates on a plain prompt, through the real supervisor: the fake agent writes and
commits a file, and the reviewer's finding names that file (never `greeting.txt`)."""

from __future__ import annotations

from gatekit import commit_file, use_gates

from cockpit.service.demo import GATES_YAML


def test_a_plain_prompt_in_the_demo_repository_is_reviewed_on_its_own_diff(cockpit) -> None:
    commit_file(cockpit.repo, "check.sh", "true\n")
    use_gates(cockpit.repo, GATES_YAML)
    dispatch_id = cockpit.dispatch("Write a haiku about tmux")
    cockpit.wait(dispatch_id, until="awaiting_approval")
    log = cockpit.run("logs", dispatch_id, check=True).stdout
    assert "writing write-a-haiku-about.txt" in log and "committed " in log
    review = cockpit.run("review", dispatch_id, check=True).stdout
    assert "A write-a-haiku-about.txt" in review
    assert "[advisory] write-a-haiku-about.txt:1:" in review
    assert "greeting.txt" not in review
