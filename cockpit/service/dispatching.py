"""Turning a dispatch request into something that can start, or one clear error.

Everything here only reads (catalog, git refs, files): `prepare` fails with
UsageError before anything is written anywhere, which is what makes bad input
leave no trace. The CLI runs it before contacting the supervisor, and the
supervisor runs it again because it is the authority.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from cockpit.domain.provider import Catalog, Provider
from cockpit.domain.skills import Skill
from cockpit.domain.task import TaskPacket, check_prompt
from cockpit.errors import UsageError
from cockpit.runtime.gate_config import check_task_gates
from cockpit.runtime.git_repo import GitRepo
from cockpit.runtime.policy_file import load_policy
from cockpit.runtime.providers import build_launch
from cockpit.runtime.statedir import StateDir
from cockpit.service.skills import compose_for_dispatch


def default_target(git: GitRepo) -> str | None:
    """The branch checked out in the main checkout (short name), None when detached: where
    a dispatch's work is promoted unless it names a target (fixed when it is dispatched)."""
    ref = git.main_checkout_branch()
    return ref.removeprefix("refs/heads/") if ref else None


def task_path(state: StateDir, dispatch_id: str) -> Path:
    """The dispatch's private task copy (0600): secrets unmasked, what its gates run."""
    return state.dispatch_dir(dispatch_id) / "task.json"


@dataclass(frozen=True)
class Prepared:
    prompt: str
    provider: Provider
    mode: str
    base_ref: str
    base_commit: str
    timeout_s: int | None
    priority: int
    task: TaskPacket
    target: str | None
    timeout_source: str | None = None  # "--timeout", "task", "catalog", "default" (None: no timeout)
    skill: Skill | None = None  # then `prompt` is composed from it and `assignment`
    assignment: str = ""  # the prompt as the operator wrote it


def load_task_file(path: Path) -> dict[str, object]:  # a task file's YAML as written: build_task checks it
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"task file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read task file {path}: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise UsageError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a task file is a mapping of keys (prompt, provider, ...)")
    return data


def build_task(fields: Mapping[str, object], source: str) -> TaskPacket:
    """The task packet from its fields as given (a task file's YAML, the CLI's flags, a request's
    `task`): any data until TaskPacket has checked it, with its own messages."""
    if not all(isinstance(key, str) for key in fields):  # YAML allows any key; keywords must be strings
        raise UsageError(f"{source}: keywords must be strings")
    try:
        return TaskPacket.model_validate(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "packet"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = (
                "unknown key (allowed: prompt, provider, allowed_paths, acceptance, risk, gates, max_run_seconds, "
                "target, skill, max_tokens, max_cost_usd, on_budget)"
            )
        raise UsageError(f"{source}: {where}: {message}") from None
    except TypeError as exc:
        raise UsageError(f"{source}: {exc}") from None


def prepare(
    git: GitRepo,
    catalog: Catalog,
    *,
    task: TaskPacket,
    prompt: str | None,
    provider: str | None,
    mode: str | None,
    base: str | None,
    timeout_s: float | None,
    priority: int,
    prompt_file: Path,
    default_provider: str,
    default_headless_timeout_s: int = 0,
    on_host: bool = False,
) -> Prepared:
    text = prompt if prompt is not None else task.prompt
    if text is None:
        raise UsageError("no prompt given", hint="pass it as an argument, or as `prompt:` in the task file")
    try:
        check_prompt(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    assignment, skill = text, None
    if task.skill is not None:  # read from the main checkout, like the gate and policy files below
        composed = compose_for_dispatch(git.toplevel, task.skill, text)
        text, skill = composed.prompt, composed.skill
    name = provider or task.provider or default_provider
    try:
        chosen = catalog.get(name)
    except KeyError:
        known = ", ".join(sorted(catalog.providers))
        where = "" if provider or task.provider else " (default_provider in .cockpit/config.yaml)"
        raise UsageError(f"unknown provider {name!r}{where}", hint=f"known providers: {known}") from None
    run_mode = mode or chosen.default_mode
    # Raises when the mode is missing, or the binary (here; a host's is checked by placement).
    build_launch(chosen, run_mode, text, prompt_file, on_host=on_host)
    base_ref = base or "HEAD"
    base_commit = git.resolve_commit(base_ref)
    target = task.target
    if target is not None and not git.branch_exists(target):
        raise UsageError(f"target branch {target!r} does not exist", hint="create it or pick another --target")
    check_task_gates(git.toplevel, task)  # a broken gate file or an unknown gate name: exit 2, nothing written
    load_policy(git.toplevel)  # a broken permission policy: exit 2, nothing written
    timeout, source = _timeout(chosen, run_mode, task, timeout_s, default_headless_timeout_s)
    if priority < -1000 or priority > 1000:
        raise UsageError("priority must be between -1000 and 1000")
    return Prepared(text, chosen, run_mode, base_ref, base_commit, timeout, priority, task, target, source, skill, assignment)


def _timeout(
    provider: Provider, mode: str, task: TaskPacket, given: float | None, default_headless: int
) -> tuple[int | None, str | None]:
    """The run's time limit and where it came from. Headless runs always get one unless
    every source says none: a CLI that retries forever must not hold a worker slot."""
    if given is not None:
        return int(given + 0.999), "--timeout"
    if task.max_run_seconds is not None:
        return task.max_run_seconds, "task"
    if mode != "headless":
        return None, None
    if provider.headless is not None and provider.headless.timeout_s:
        return provider.headless.timeout_s, "catalog"
    return (default_headless, "default") if default_headless > 0 else (None, None)
