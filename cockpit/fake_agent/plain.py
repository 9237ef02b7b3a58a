"""What the fake agent does with a prompt that has no `@fake` directive (pure, no I/O).

A new user's first prompt is plain prose, so it must do something small and visible:
  * a review request (cockpit's review gate prompt, with a ```diff block): answer like
    `@fake review`: approve, with one advisory finding on the first changed file;
  * anything else: write a file named after the prompt's first words and commit it,
    saying what it does at each step.
"""

from __future__ import annotations

import json
import re

from cockpit.fake_agent.directives import Commit, Directive, Review, Say, Write

REVIEW_MARKER = "You are reviewing a change"
_WORD = re.compile(r"[A-Za-z0-9]+")
_DIFF_BLOCK = re.compile(r"^```diff\n(.*?)^```", re.MULTILINE | re.DOTALL)
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
NAME_WORDS = 4
FALLBACK_NAME = "fake-agent-note.txt"


def title_of(prompt: str) -> str:
    for line in prompt.splitlines():
        if line.strip():
            return line.strip()[:72]
    return "(empty prompt)"


def file_name_for(prompt: str) -> str:
    """`Add a greeting file` -> `add-a-greeting-file.txt`: the first words, lower case, safe."""
    words = _WORD.findall(title_of(prompt).lower())[:NAME_WORDS]
    stem = "-".join(words)[:48].strip("-")
    return f"{stem}.txt" if stem else FALLBACK_NAME


def plan_plain(prompt: str) -> list[Directive]:
    """The steps for a prompt without directives."""
    if REVIEW_MARKER in prompt and _DIFF_BLOCK.search(prompt):
        return [Review(0, "approve")]
    title = title_of(prompt)
    name = file_name_for(prompt)
    body = f"{title}\n\nWritten by cockpit's fake agent for this prompt:\n\n{prompt.rstrip()}\n"
    return [
        Say(0, f"reading the task: {title}"),
        Say(0, f"writing {name}"),
        Write(0, name, body, append=False),
        Say(0, f"committing {name}"),
        Commit(0, f"fake agent: {title}", only_in_git=True),
        Say(0, f"done: wrote {name}"),
    ]


def changed_files(prompt: str) -> list[tuple[str, int | None, int, int]]:
    """(path, first added line or None, lines added, lines removed) for each file of the prompt's diff."""
    match = _DIFF_BLOCK.search(prompt)
    if match is None:
        return []
    files: list[list] = []
    old_path = ""
    new_line: int | None = None
    for line in match.group(1).splitlines():
        if line.startswith("diff --git "):
            files.append(["", None, 0, 0])
            new_line = None
        elif line.startswith("--- ") and files:
            old_path = line[4:].removeprefix("a/")
        elif line.startswith("+++ ") and files:
            path = line[4:]
            files[-1][0] = old_path if path == "/dev/null" else path.removeprefix("b/")
        elif (hunk := _HUNK.match(line)) and files:
            new_line = int(hunk.group(1))
        elif files and new_line is not None:
            if line.startswith("+"):
                files[-1][2] += 1
                if files[-1][1] is None:
                    files[-1][1] = new_line
                new_line += 1
            elif line.startswith("-"):
                files[-1][3] += 1
            else:
                new_line += 1
    return [(f[0], f[1], f[2], f[3]) for f in files if f[0]]


def review_verdict(prompt: str, answer: str) -> str:
    """The verdict JSON for the diff in the prompt: findings name only files that diff touched."""
    files = changed_files(prompt)
    findings = []
    if files:
        path, line, added, removed = files[0]
        severity = "blocking" if answer == "reject" else "advisory"
        message = f"the fake reviewer read this change (+{added} -{removed})" + (
            "; it rejects it as asked" if answer == "reject" else "; no real review was done"
        )
        finding: dict[str, object] = {"severity": severity, "file": path, "message": message}
        if line is not None:
            finding["line"] = line
        findings.append(finding)
    return json.dumps({"verdict": answer, "findings": findings})
