"""Skills: `dispatch --skill NAME` gives every provider the same composed prompt, receipted with the
skill's name and version; `cockpit prompt ID` prints it. Real supervisor, tmux, git and fake agent."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import yaml

METHOD = "You are a careful maintainer of this repository.\n\nMethod:\n1. Read the task.\n2. Change as little as you can.\n"
STYLE = "# Style guide\n\nShort lines, plain words.\n"
CHECK = "#!/bin/sh\n# run the checks\nexit 0\n"


def make_skill(repo: Path) -> Path:
    """A skill in the main checkout, left uncommitted: the worktree never has it, the prompt must."""
    folder = repo / ".cockpit" / "skills" / "maintainer"
    (folder / "reference").mkdir(parents=True)
    (folder / "scripts").mkdir()
    (folder / "SKILL.md").write_text(METHOD)
    (folder / "reference" / "style.md").write_text(STYLE)
    (folder / "scripts" / "check.sh").write_text(CHECK)
    (folder / ".hidden").write_text("not listed\n")
    return folder


def add_arg_provider(repo: Path) -> None:
    """A second provider: the same fake agent, but given the prompt as one argument instead of stdin."""
    catalog = {
        "providers": {
            "fake-arg": {
                "binary": sys.executable,
                "version_args": [],
                "default_mode": "headless",
                "headless": {
                    "args": ["-m", "cockpit.fake_agent", "-p", "{prompt}", "--output-format", "stream-json"],
                    "prompt_via": "arg",
                },
                "usage_parser": "fake",
            }
        }
    }
    (repo / ".cockpit" / "providers.yaml").write_text(yaml.safe_dump(catalog))


def result_line(cockpit, dispatch_id: str) -> dict:
    text = cockpit.ws.state.log(dispatch_id).read_text(errors="replace")
    lines = [line for line in text.splitlines() if line.startswith('{"type":"result"')]
    assert lines, f"no result line in the log of {dispatch_id}: {text[-500:]!r}"
    return json.loads(lines[-1])


def created(cockpit, dispatch_id: str) -> dict:
    return next(r.data for r in cockpit.receipts(dispatch_id) if r.kind == "dispatch_created")


def sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def test_two_providers_get_the_same_composed_prompt_and_it_is_receipted(cockpit) -> None:
    folder = make_skill(cockpit.repo)
    add_arg_provider(cockpit.repo)
    assignment = "Fix the greeting\n\nKeep it short."
    by_stdin = cockpit.dispatch(assignment, "--skill", "maintainer")
    by_arg = cockpit.dispatch(assignment, "--skill", "maintainer", "--provider", "fake-arg")
    for dispatch_id in (by_stdin, by_arg):
        cockpit.wait(dispatch_id, until="exited")

    printed = {i: cockpit.run("prompt", i, check=True).stdout for i in (by_stdin, by_arg)}
    assert printed[by_stdin] == printed[by_arg]
    prompt = printed[by_stdin]
    expected = (
        f"# Skill: maintainer\n\n## Role and method\n\n{METHOD}\n## Assignment\n\n{assignment}\n\n## Skill files\n\n"
        f"These files of the skill are in {folder}/. Read one when you need it:\n\n"
        "- reference/style.md: # Style guide\n- scripts/check.sh: #!/bin/sh\n"
    )
    assert prompt == expected
    assert prompt.startswith("# Skill: maintainer\n\n## Role and method\n\nYou are a careful maintainer")
    assert prompt.index(METHOD.strip()) < prompt.index("## Assignment\n\nFix the greeting\n\nKeep it short.\n")
    assert prompt.index("## Assignment") < prompt.index("## Skill files")
    assert prompt.endswith(
        f"These files of the skill are in {folder}/. Read one when you need it:\n\n"
        "- reference/style.md: # Style guide\n- scripts/check.sh: #!/bin/sh\n"
    )
    assert ".hidden" not in prompt and "SKILL.md" not in prompt.split("## Skill files")[1]

    receipts = {i: created(cockpit, i) for i in (by_stdin, by_arg)}
    files = {"SKILL.md": sha(METHOD), "reference/style.md": sha(STYLE), "scripts/check.sh": sha(CHECK)}
    for dispatch_id, data in receipts.items():
        # The agent got exactly these bytes (its own hash of what it read), through stdin and as an argument.
        assert result_line(cockpit, dispatch_id)["prompt_sha256"] == sha(prompt) == data["prompt_sha256"], dispatch_id
        assert data["prompt_bytes"] == len(prompt.encode())
        assert data["title"] == "Fix the greeting"  # the assignment's, not the skill's heading
        assert data["skill"]["name"] == "maintainer" and data["skill"]["files"] == files
        assert data["task"]["skill"] == "maintainer"
    assert receipts[by_stdin]["skill"]["version"] == receipts[by_arg]["skill"]["version"]
    assert (receipts[by_stdin]["provider"], receipts[by_arg]["provider"]) == ("fake", "fake-arg")
    assert cockpit.show(by_arg)["title"] == "Fix the greeting"


def test_the_version_follows_the_files_and_a_dispatch_without_a_skill_records_none(cockpit) -> None:
    folder = make_skill(cockpit.repo)
    first = cockpit.dispatch("@fake say one", "--skill", "maintainer")
    (folder / "reference" / "style.md").write_text(STYLE + "Even shorter.\n")
    second = cockpit.dispatch("@fake say two", "--skill", "maintainer")
    plain = cockpit.dispatch("@fake say three")
    for dispatch_id in (first, second, plain):
        cockpit.wait(dispatch_id, until="exited")
    one, two = created(cockpit, first)["skill"], created(cockpit, second)["skill"]
    assert one["version"] != two["version"]
    assert one["files"]["reference/style.md"] != two["files"]["reference/style.md"]
    assert one["files"]["SKILL.md"] == two["files"]["SKILL.md"]
    assert created(cockpit, plain)["skill"] is None
    assert cockpit.run("prompt", plain, check=True).stdout == "@fake say three"  # no skill: the prompt as given
    listed = cockpit.run("skills", check=True).stdout
    assert listed.startswith(f"maintainer  {two['version'][:12]}  3 file(s)  You are a careful maintainer"), listed


def ledger_and_state(cockpit) -> tuple:
    ledger = cockpit.ws.state.ledger_dir / "ledger.ndjson"
    state = cockpit.ws.state.root
    files = sorted(str(p.relative_to(state)) for p in state.rglob("*") if p.is_file() and p.suffix not in (".lock", ".sock"))
    branches = subprocess_out(cockpit.repo, "git", "branch", "--list")
    return ledger.read_bytes() if ledger.exists() else b"", files, branches


def subprocess_out(cwd: Path, *argv: str) -> str:
    import subprocess

    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True).stdout


def test_an_unknown_skill_is_one_line_naming_the_skills_and_writes_nothing(cockpit) -> None:
    make_skill(cockpit.repo)
    other = cockpit.repo / ".cockpit" / "skills" / "reviewer"
    other.mkdir()
    (other / "SKILL.md").write_text("Review the change.\n")
    (cockpit.repo / ".cockpit" / "skills" / "not-a-skill").mkdir()  # no SKILL.md: not offered
    expected = "cockpit: unknown skill 'nope': the skills in .cockpit/skills are maintainer, reviewer"
    task = cockpit.repo.parent / "task.yaml"
    task.write_text("prompt: hi\nskill: nope\n")
    for supervisor_running in (False, True):
        if supervisor_running:  # the supervisor validates again: the same line from it
            cockpit.wait(cockpit.dispatch("@fake say warm up"), until="no_changes")
        before = ledger_and_state(cockpit)
        for args in (["dispatch", "hi", "--skill", "nope"], ["dispatch", "--task", str(task)]):
            result = cockpit.run(*args)
            assert (result.returncode, result.stderr.strip(), result.stdout) == (2, expected, ""), (args, result)
        result = cockpit.run("dispatch", "hi", "--skill", "../maintainer")
        assert result.returncode == 2 and result.stderr.strip().startswith("cockpit: "), result
        assert "\n" not in result.stderr.strip() and "Traceback" not in result.stderr
        (cockpit.repo / ".cockpit" / "skills" / "reviewer" / "SKILL.md").write_text("  \n")
        result = cockpit.run("dispatch", "hi", "--skill", "reviewer")
        assert (result.returncode, result.stderr.strip()) == (
            2,
            "cockpit: .cockpit/skills/reviewer/SKILL.md is empty: write the skill's role and method in it",
        ), result
        (cockpit.repo / ".cockpit" / "skills" / "reviewer" / "SKILL.md").write_text("Review the change.\n")
        assert ledger_and_state(cockpit) == before, supervisor_running


def test_prompt_of_an_unknown_or_altered_dispatch_says_so(cockpit) -> None:
    result = cockpit.run("prompt", "nope")
    assert result.returncode == 2 and "no dispatch 'nope'" in result.stderr and result.stdout == "", result
    dispatch_id = cockpit.dispatch("@fake say hi")
    cockpit.wait(dispatch_id, until="exited")
    assert cockpit.run("prompt", dispatch_id[:6], check=True).stdout == "@fake say hi"
    (cockpit.ws.state.dispatch_dir(dispatch_id) / "prompt.txt").write_text("@fake say something else")
    result = cockpit.run("prompt", dispatch_id)
    assert result.returncode == 1 and result.stdout == "", result
    assert "does not match the prompt" in result.stderr and created(cockpit, dispatch_id)["prompt_sha256"] in result.stderr
