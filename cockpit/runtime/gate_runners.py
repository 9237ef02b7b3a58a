"""Running one gate: a command, an agent reviewer, the scope check, the conflict check.

Each returns an Outcome; recording it (report file, store row, receipt) is the
service layer's job. Nothing here decides whether a dispatch may merge.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

from pydantic import ValidationError

from cockpit.domain.gates import Finding, GateSpec, Verdict, scope_findings
from cockpit.domain.provider import Provider
from cockpit.domain.screen_text import last_error_line
from cockpit.errors import CockpitError
from cockpit.runtime.diffs import WorktreeDiff
from cockpit.runtime.git_repo import GitRepo
from cockpit.runtime.private_files import write_private
from cockpit.runtime.providers import build_launch
from cockpit.runtime.review_tree import create_review_tree, remove_review_tree
from cockpit.runtime.usage import apply_prices, parser_for

log = logging.getLogger("cockpit.supervisor")  # gates run inside the supervisor

MAX_OUTPUT = 4 * 1024 * 1024  # kept for the report; the head and the tail survive a flood
IDENTITY_ENV = {
    "GIT_AUTHOR_NAME": "cockpit",
    "GIT_AUTHOR_EMAIL": "cockpit@localhost",
    "GIT_COMMITTER_NAME": "cockpit",
    "GIT_COMMITTER_EMAIL": "cockpit@localhost",
}


@dataclass
class Outcome:
    status: str  # passed | failed | error
    summary: str
    findings: list[Finding] = field(default_factory=list)
    output: str = ""
    exit_code: int | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_micro_usd: int = 0
    duration_ms: int = 0


class _Tokens(TypedDict):
    tokens_in: int
    tokens_out: int
    cost_micro_usd: int


async def _run(
    argv: list[str], *, cwd: Path, timeout: int, stdin_path: Path | None = None, env: dict[str, str] | None = None
) -> tuple[int | None, bytes, bytes, bool]:
    """(exit code, stdout, stderr, timed out). The whole process group dies on timeout."""
    stdin = open(stdin_path, "rb") if stdin_path else asyncio.subprocess.DEVNULL
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=str(cwd),
            stdin=stdin,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            env=env,
        )
    finally:
        if not isinstance(stdin, int):  # the opened file, not DEVNULL
            stdin.close()
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
        return proc.returncode, out, err, False
    except TimeoutError:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:  # a grandchild that left the group may hold the pipes: do not wait for it forever
            out, err = await asyncio.wait_for(proc.communicate(), timeout=5)
        except TimeoutError:
            out, err = b"", b"[output lost: a process that left the gate's process group kept the pipes open]"
        return None, out, err, True
    except asyncio.CancelledError:  # the supervisor is stopping: leave no gate process behind
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise


def _clip(data: bytes) -> str:
    if len(data) > MAX_OUTPUT:
        half = MAX_OUTPUT // 2
        data = data[:half] + b"\n[... %d bytes cut ...]\n" % (len(data) - MAX_OUTPUT) + data[-half:]
    return data.decode("utf-8", "replace")


def gate_env(dispatch_id: str, gate: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COCKPIT_WORKER_ID", "TMUX", "TMUX_PANE")}
    env.update(COCKPIT_GATE=gate, COCKPIT_DISPATCH_ID=dispatch_id)
    return env


async def run_command(spec: GateSpec, worktree: Path, dispatch_id: str) -> Outcome:
    started = time.monotonic()
    try:
        code, out, err, timed_out = await _run(
            ["/bin/sh", "-c", spec.run or "false"], cwd=worktree, timeout=spec.timeout, env=gate_env(dispatch_id, spec.name)
        )
    except OSError as exc:
        return Outcome("error", f"could not run the command: {exc.strerror}")
    output = _clip(out + (b"\n--- stderr ---\n" + err if err else b""))
    ms = int((time.monotonic() - started) * 1000)
    if timed_out:
        return Outcome("error", f"timed out after {spec.timeout} s", output=output, duration_ms=ms)
    status = "passed" if code == 0 else "failed"
    return Outcome(status, f"`{spec.run}` exited {code}", output=output, exit_code=code, duration_ms=ms)


def scope_outcome(diff: WorktreeDiff, allowed: list[str], protected: list[str]) -> Outcome:
    findings = scope_findings(diff.paths, allowed, protected)
    where = f"allowed: {', '.join(allowed)}" if allowed else "allowed: anywhere"
    lines = [f"{f.file}: {f.message}" for f in findings]
    if findings:
        return Outcome("failed", f"{len(findings)} path(s) out of scope ({where})", findings, output="\n".join(lines))
    return Outcome("passed", f"all {len(diff.paths)} changed path(s) in scope ({where})", output="\n".join(diff.paths))


@dataclass(frozen=True)
class OtherWorker:
    id: str
    branch: str
    base: str
    worktree: str | None = None  # when it exists, its uncommitted changes count too


def snapshot_commit(repo: GitRepo, diff: WorktreeDiff, message: str) -> str:
    """A commit object holding exactly the judged tree (no ref moves)."""
    if repo.run_git("rev-parse", f"{diff.head}^{{tree}}") == diff.tree:
        return diff.head
    return repo.run_git("commit-tree", diff.tree, "-p", diff.head, "-m", message, env=IDENTITY_ENV)


def _other_state(repo: GitRepo, other: OtherWorker) -> tuple[str, str] | None:
    """(a commit holding the other worker's current work, its tree) or None when it has no branch."""
    head = repo.ref_commit(f"refs/heads/{other.branch}")
    if head is None:
        return None
    if other.worktree and Path(other.worktree).is_dir():
        try:  # committed, staged, unstaged and untracked, without touching its index
            snap = repo.snapshot(Path(other.worktree))
        except Exception:  # noqa: BLE001 a worktree torn down right now fails in git or GitPython: its branch is what is left
            log.info("snapshot of %s's worktree failed; judging its branch", other.id, exc_info=True)
            snap = None
        if snap is not None and snap.worktree_tree != repo.run_git("rev-parse", f"{snap.head}^{{tree}}"):
            commit = repo.run_git(
                "commit-tree", snap.worktree_tree, "-p", snap.head, "-m", f"cockpit snapshot of {other.id}", env=IDENTITY_ENV
            )
            return commit, snap.worktree_tree
        if snap is not None:
            head = snap.head
    return head, repo.run_git("rev-parse", f"{head}^{{tree}}")


def _changed_paths(repo: GitRepo, base: str, tree: str) -> set[str]:
    raw = bytes(repo.run_git("diff-tree", "-r", "-z", "--name-only", "--no-renames", base, tree, raw=True))
    return {name.decode(errors="surrogateescape") for name in raw.split(b"\0") if name}


def conflicts_outcome(repo: GitRepo, diff: WorktreeDiff, target: str, others: list[OtherWorker], dispatch_id: str) -> Outcome:
    """Blocking: conflicts with the target. Advisory: files another live worker also changes."""
    this = snapshot_commit(repo, diff, f"cockpit snapshot of {dispatch_id}")
    findings: list[Finding] = []
    lines: list[str] = []
    target_commit = repo.resolve_commit(target)
    check = repo.merge_check(target_commit, this)
    if not check.clean:
        for path in check.conflicts:
            findings.append(Finding(severity="blocking", file=path, message=f"conflicts with {target}"))
        lines.append(f"merging into {target} conflicts in: {', '.join(check.conflicts)}")
    else:
        lines.append(f"merges cleanly into {target} ({target_commit[:12]})")
    mine = set(diff.paths)
    shared: list[str] = []
    for other in others:
        state = _other_state(repo, other)
        if state is None:
            continue
        commit, tree = state
        both = sorted(mine & _changed_paths(repo, other.base, tree))
        if not both:
            continue
        other_check = repo.merge_check(commit, this)
        clashing = set(other_check.conflicts) if not other_check.clean else set()
        for path in both:
            what = "conflicting edits" if path in clashing else "edits that merge cleanly"
            findings.append(Finding(severity="advisory", file=path, message=f"also changed by worker {other.id} ({what})"))
        lines.append(
            f"worker {other.id} also changes: {', '.join(both)}"
            + (f" (conflicting: {', '.join(sorted(clashing & set(both)))})" if clashing & set(both) else "")
        )
        shared.append(f"{other.id} ({', '.join(both[:5])}{' ...' if len(both) > 5 else ''})")
    blocking = [f for f in findings if f.severity == "blocking"]
    summary = f"{len(blocking)} conflict(s) with {target}" if blocking else f"no conflicts with {target}"
    if shared:
        summary += "; also changed by worker " + ", ".join(shared)
    return Outcome("failed" if blocking else "passed", summary, findings, output="\n".join(lines))


REVIEW_FORMAT = (
    '{"verdict": "approve" | "reject", "findings": [{"severity": "blocking" | "advisory", '
    '"file": "path", "line": 1, "message": "what and why"}]}'
)


def review_prompt(spec: GateSpec, diff: WorktreeDiff, task_title: str) -> str:
    quoted = "\n".join("> " + line for line in task_title.splitlines())
    return "\n".join(
        [
            "You are reviewing a change a coding agent made, before a human decides whether to merge it.",
            spec.instructions.strip(),
            "",
            "The task the agent was given:",
            quoted,
            "",
            "Answer with exactly one JSON object and nothing else, shaped like this:",
            REVIEW_FORMAT,
            "Use severity blocking only for problems that must be fixed before merging.",
            "",
            f"The change (base {diff.base[:12]}, {len(diff.files)} file(s), +{diff.added} -{diff.removed}):",
            "```diff",
            diff.patch + ("\n[the diff was cut at 2 MiB]" if diff.truncated else ""),
            "```",
        ]
    )


def extract_verdict(text: str) -> tuple[Verdict | None, str]:
    """The last JSON object with a `verdict` key found in the agent's output, validated."""
    candidates: list[dict] = []
    decoder = json.JSONDecoder()
    texts = [text]
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                for key in ("result", "response", "text", "message"):
                    if isinstance(event.get(key), str):
                        texts.append(event[key])
                item = event.get("item")
                if isinstance(item, dict) and isinstance(item.get("text"), str):
                    texts.append(item["text"])
    for chunk in texts:  # grows: a document's answer string is searched too
        position = chunk.find("{")
        while position >= 0:
            try:
                obj, end = decoder.raw_decode(chunk, position)
            except ValueError:
                position = chunk.find("{", position + 1)
                continue
            if isinstance(obj, dict) and "verdict" in obj:
                candidates.append(obj)
            elif isinstance(obj, dict):
                # a pretty-printed result document, e.g. gemini's `-o json` {"response": "<the answer>"}
                texts.extend(obj[key] for key in ("result", "response") if isinstance(obj.get(key), str))
            position = chunk.find("{", end)
    if not candidates:
        return None, "the reviewer's answer holds no JSON object with a `verdict`"
    try:
        return Verdict.model_validate(candidates[-1]), ""
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        return None, f"the reviewer's verdict is malformed at {where}: {error['msg']}"


async def run_review(
    spec: GateSpec, provider: Provider, diff: WorktreeDiff, task_title: str, dispatch_id: str, repo: GitRepo
) -> Outcome:
    """Ask an agent (headless) for a verdict on the diff; fail closed on anything unclear."""
    started = time.monotonic()
    prompt = review_prompt(spec, diff, task_title)
    with tempfile.TemporaryDirectory(prefix="cockpit-review-") as scratch:
        prompt_file = Path(scratch) / "prompt.txt"
        write_private(prompt_file, prompt.encode("utf-8"))
        try:
            launch = build_launch(provider, "headless", prompt, prompt_file)
        except (CockpitError, OSError) as exc:  # missing binary, no headless mode
            return Outcome("error", f"reviewer {provider.name} cannot run: {exc}")
        argv = list(launch.argv)
        if launch.prompt_arg_index is not None:
            argv[launch.prompt_arg_index] = prompt
        env = {**gate_env(dispatch_id, spec.name), **launch.env}
        # The reviewer works in a throwaway git worktree of the judged diff (codex exec refuses
        # to run outside a repository); the dispatch's own worktree is never handed to it.
        try:
            tree = await asyncio.to_thread(create_review_tree, repo, diff, Path(scratch))
        except (CockpitError, OSError) as exc:
            return Outcome("error", f"could not make a review worktree of the diff: {exc}")
        try:
            code, out, err, timed_out = await _run(argv, cwd=tree, timeout=spec.timeout, stdin_path=launch.stdin_path, env=env)
        except OSError as exc:
            return Outcome("error", f"could not start reviewer {provider.name}: {exc.strerror}")
        finally:
            await asyncio.to_thread(remove_review_tree, repo, tree)
    text = out.decode("utf-8", "replace")
    output = _clip(out + (b"\n--- stderr ---\n" + err if err else b""))
    ms = int((time.monotonic() - started) * 1000)
    parser = parser_for(provider.usage_parser)
    usage = None
    for line in text.splitlines():
        usage = parser.feed(line) or usage
    usage = apply_prices(usage, provider.prices) if usage else None
    tokens: _Tokens = {
        "tokens_in": usage.input_tokens if usage else 0,
        "tokens_out": usage.output_tokens if usage else 0,
        "cost_micro_usd": (usage.cost_micro_usd or 0) if usage else 0,
    }
    if timed_out:
        return Outcome("error", f"the reviewer timed out after {spec.timeout} s", output=output, duration_ms=ms, **tokens)
    verdict, why = extract_verdict(text)
    said = _reviewer_said(provider.name, code, out, err)
    if verdict is None:
        return Outcome(
            "failed", f"no usable verdict (fail closed): {why}; {said}", output=output, exit_code=code, duration_ms=ms, **tokens
        )
    if code != 0 or (usage is not None and usage.is_error):
        return Outcome(
            "failed",
            f"the reviewer exited {code} or reported an error (fail closed); {said}",
            verdict.findings,
            output,
            code,
            duration_ms=ms,
            **tokens,
        )
    blocking = [f for f in verdict.findings if f.severity == "blocking"]
    passed = verdict.verdict == "approve" and not blocking
    summary = (
        f"{provider.name} approves"
        if passed
        else f"{provider.name} {'rejects' if verdict.verdict == 'reject' else 'approves'} with "
        f"{len(blocking)} blocking finding(s)"
    )
    if verdict.findings:
        summary += f"; {len(verdict.findings)} finding(s)"
    return Outcome("passed" if passed else "failed", summary, verdict.findings, output, code, duration_ms=ms, **tokens)


def _reviewer_said(name: str, code: int | None, out: bytes, err: bytes) -> str:
    """The reviewer CLI's exit code and its own last error line (stderr first, then stdout)."""
    line = last_error_line(err.decode("utf-8", "replace")[-65536:]) or last_error_line(out.decode("utf-8", "replace")[-65536:])
    return f"{name} exited {code}" + (f": {line}" if line else " (it printed no error line)")
