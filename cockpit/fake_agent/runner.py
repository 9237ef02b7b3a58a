"""Carry out a validated prompt's directives, then report the result line.

The runner knows nothing about how it was started: a `Console` (headless or the
interactive terminal) supplies output, waiting and the y/n key.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Protocol

from cockpit.fake_agent.directives import (
    Ask,
    Commit,
    Delete,
    Directive,
    DirectiveError,
    Exit,
    Hang,
    Hook,
    Lines,
    ReportUsage,
    Review,
    Say,
    Sleep,
    Write,
    parse_prompt,
)
from cockpit.fake_agent.plain import changed_files, plan_plain, review_verdict
from cockpit.fake_agent.result import Outcome, UsageTotals, prompt_sha256, result_line
from cockpit.fake_agent.sessions import record_prompt
from cockpit.fake_agent.terminal import NoTerminal

EXIT_FAILED = 1
EXIT_BAD_PROMPT = 2
EXIT_DECLINED = 3
EXIT_NO_TERMINAL = 4
_FALLBACK_IDENTITY = {"name": "cockpit-fake-agent", "email": "fake@cockpit.invalid"}


class Console(Protocol):
    def emit(self, text: str) -> None:
        """Write text exactly as given (the caller adds newlines) and flush."""

    def wait(self, seconds: float | None) -> None:
        """Pause for `seconds`, or forever when None (until a signal ends us)."""

    def read_answer(self) -> bool:
        """Block until y (True) or n (False); raise NoTerminal if no key can come."""


class RunFailure(Exception):
    """A directive could not be carried out; ends the prompt with `exit_code`."""

    def __init__(self, exit_code: int, message: str) -> None:
        self.exit_code = exit_code
        self.message = message
        super().__init__(message)


def warn(text: str) -> None:
    sys.stderr.write(f"fake-agent: {text}\n")
    sys.stderr.flush()


def process_prompt(prompt: bytes, console: Console, session_id: str) -> Outcome:
    """Validate the whole prompt, run it, and print its result line (unless rejected)."""
    started = time.monotonic()
    text = prompt.decode("utf-8", "surrogateescape")
    try:
        directives = parse_prompt(text) or plan_plain(text)  # no directive: the plain-prompt behaviour
    except DirectiveError as error:
        warn(f"line {error.line}: {error.message}; nothing was run")
        return Outcome(EXIT_BAD_PROMPT, str(error), UsageTotals(), ends_session=True, reported=False)
    try:  # the session remembers its prompts, so a later `--resume ID` goes on with it
        record_prompt(session_id, prompt_sha256(prompt))
    except OSError as exc:
        warn(f"cannot record the prompt in session {session_id}: {exc}")
    outcome = Runner(console, Path.cwd(), text).run(directives)
    duration_ms = int((time.monotonic() - started) * 1000)
    line = result_line(outcome, duration_ms=duration_ms, session_id=session_id, prompt_digest=prompt_sha256(prompt))
    console.emit(line + "\n")
    return outcome


class Runner:
    def __init__(self, console: Console, cwd: Path, prompt: str = "") -> None:
        self._console = console
        self._cwd = cwd
        self._prompt = prompt
        self._usage = UsageTotals()
        self._last_said = ""

    def run(self, directives: list[Directive]) -> Outcome:
        try:
            for directive in directives:
                if isinstance(directive, Exit):
                    return Outcome(directive.code, f"exit {directive.code}", self._usage, ends_session=True)
                if isinstance(directive, Ask) and not self._ask(directive.question):
                    return Outcome(EXIT_DECLINED, f"declined: {directive.question}", self._usage, ends_session=True)
                self._do(directive)
        except RunFailure as failure:
            warn(f"line {directive.line}: {failure.message}")
            return Outcome(failure.exit_code, failure.message, self._usage, ends_session=True)
        return Outcome(0, self._last_said or "done", self._usage, ends_session=False)

    def _do(self, directive: Directive) -> None:
        if isinstance(directive, Say):
            self._console.emit(directive.text + "\n")
            self._last_said = directive.text
        elif isinstance(directive, Lines):
            self._lines(directive.count, directive.rate)
        elif isinstance(directive, Write):
            self._write(directive)
        elif isinstance(directive, Delete):
            self._delete(directive.path)
        elif isinstance(directive, Commit):
            self._commit(directive.message, only_in_git=directive.only_in_git)
        elif isinstance(directive, Review):
            self._review(directive.answer)
        elif isinstance(directive, Sleep):
            self._console.wait(directive.seconds)
        elif isinstance(directive, Hang):
            self._console.wait(None)
        elif isinstance(directive, ReportUsage):
            self._usage.add(directive.input_tokens, directive.output_tokens, directive.cost_usd)
        elif isinstance(directive, Hook):
            self._hook(directive)

    def _hook(self, hook: Hook) -> None:
        # As a CLI runs its hooks: the command waits, its failure does not end the turn.
        script = os.environ.get("COCKPIT_SIGNAL_HOOK")
        if not script:
            warn(f"line {hook.line}: @fake hook {hook.event}: no $COCKPIT_SIGNAL_HOOK, not run")
            return
        done = subprocess.run(["sh", script, hook.event], input=hook.payload.encode(), check=False, timeout=60)
        if done.returncode != 0:
            warn(f"line {hook.line}: @fake hook {hook.event}: the hook exited {done.returncode}")

    def _ask(self, question: str) -> bool:
        self._console.emit(f"{question} [y/n] ")
        try:
            answer = self._console.read_answer()
        except NoTerminal as error:
            self._console.emit("\n")
            raise RunFailure(EXIT_NO_TERMINAL, f"@fake ask: {error}") from None
        self._console.emit("y\n" if answer else "n\n")
        return answer

    def _lines(self, count: int, rate: float | None) -> None:
        # Due times come from the start, so slow output does not make the rate drift.
        started = time.monotonic()
        for index in range(1, count + 1):
            if rate is not None and index > 1:
                delay = started + (index - 1) / rate - time.monotonic()
                if delay > 0:
                    self._console.wait(delay)
            self._console.emit(f"line {index} of {count}\n")

    def _inside_cwd(self, path: str, *, follow_last: bool) -> Path:
        """The target path; symlinks must not lead outside the working directory."""
        target = self._cwd / path
        resolved = target.resolve() if follow_last else target.parent.resolve() / target.name
        if not resolved.is_relative_to(self._cwd.resolve()):
            raise RunFailure(EXIT_FAILED, f"'{path}' leads outside the working directory")
        return target

    def _write(self, directive: Write) -> None:
        target = self._inside_cwd(directive.path, follow_last=True)
        data = directive.text.encode("utf-8", "surrogateescape")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "ab" if directive.append else "wb") as handle:
                handle.write(data)
        except OSError as error:
            raise RunFailure(EXIT_FAILED, f"cannot write '{directive.path}': {error.strerror}") from None

    def _delete(self, path: str) -> None:
        target = self._inside_cwd(path, follow_last=False)
        if target.is_dir() and not target.is_symlink():
            raise RunFailure(EXIT_FAILED, f"cannot delete '{path}': it is a directory")
        try:
            target.unlink()
        except FileNotFoundError:
            raise RunFailure(EXIT_FAILED, f"cannot delete '{path}': no such file") from None
        except OSError as error:
            raise RunFailure(EXIT_FAILED, f"cannot delete '{path}': {error.strerror}") from None

    def _git(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                ["git", *args], cwd=self._cwd, env=env, capture_output=True, text=True, errors="replace", check=False
            )
        except FileNotFoundError:
            raise RunFailure(EXIT_FAILED, "@fake commit: git is not installed") from None

    def _commit_env(self) -> dict[str, str]:
        """The environment, plus a fallback identity only where git has none."""
        env = dict(os.environ)
        for key in ("name", "email"):
            configured = self._git("config", "--get", f"user.{key}").stdout.strip()
            author, committer = f"GIT_AUTHOR_{key.upper()}", f"GIT_COMMITTER_{key.upper()}"
            if not configured:
                env.setdefault(author, _FALLBACK_IDENTITY[key])
                env.setdefault(committer, _FALLBACK_IDENTITY[key])
        return env

    def _review(self, answer: str) -> None:
        files = changed_files(self._prompt)
        self._console.emit(f"reading the diff: {len(files)} file(s)\n")
        verdict = review_verdict(self._prompt, answer)
        self._console.emit(verdict + "\n")
        self._last_said = verdict

    def _commit(self, message: str, *, only_in_git: bool = False) -> None:
        if only_in_git and self._git("rev-parse", "--is-inside-work-tree").returncode != 0:
            self._console.emit("not a git repository: left it uncommitted\n")
            return
        added = self._git("add", "-A")
        if added.returncode != 0:
            raise RunFailure(EXIT_FAILED, f"@fake commit: git add -A failed: {_first_line(added.stderr)}")
        staged = self._git("diff", "--cached", "--quiet")
        if staged.returncode == 0:
            self._console.emit("nothing to commit\n")
            return
        if staged.returncode != 1:
            raise RunFailure(EXIT_FAILED, f"@fake commit: git diff failed: {_first_line(staged.stderr)}")
        committed = self._git("commit", "-q", "-m", message, env=self._commit_env())
        if committed.returncode != 0:
            detail = _first_line(committed.stderr) or _first_line(committed.stdout)
            raise RunFailure(EXIT_FAILED, f"@fake commit: git commit failed: {detail}")
        head = self._git("rev-parse", "--short", "HEAD").stdout.strip()
        self._console.emit(f"committed {head}: {message}\n")


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""
