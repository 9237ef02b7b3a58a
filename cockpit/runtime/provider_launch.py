"""Turn a catalog entry into a command: find the binary, build the argv, probe versions.

Nothing here goes through a shell: binaries are found with shutil.which and argv
elements are passed as they are (peers that parsed `which` output through a shell
picked up start-up noise as the program path).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.domain.provider import Catalog, HeadlessSpec, Provider, strip_ansi
from cockpit.errors import UsageError

FAKE_BINARY = "cockpit-fake-agent"
FAKE_MODULE = "cockpit.fake_agent"
# Linux refuses a single argument longer than MAX_ARG_STRLEN (32 pages = 128 KiB, NUL included).
MAX_ARG_BYTES = 128 * 1024 - 1
_VERSION_MAX_CHARS = 200


@dataclass(frozen=True)
class LaunchSpec:
    """What to exec for one worker.

    argv: the full command, binary first. env: only the variables the provider sets,
    to be laid over the inherited environment. stdin_path: the file to connect to
    stdin (the prompt file, or /dev/null for headless runs that take the prompt as an
    argument), None to keep the terminal. prompt_arg_index: for prompt-as-argument runs,
    the index in argv that holds the prompt (so a launcher can put the prompt file's
    exact bytes there).
    """

    argv: list[str]
    env: dict[str, str]
    stdin_path: Path | None
    mode: str
    prompt_arg_index: int | None = None


@dataclass(frozen=True)
class ProviderStatus:
    """One line of `cockpit providers`."""

    name: str
    binary: str
    found: bool
    path: str | None
    version: str | None
    modes: list[str] = field(default_factory=list)
    version_error: str | None = None  # why there is no version: "timed out after 5 s", "exited 1", ...
    verified: bool | None = None  # the version is in the entry's verified_versions (None: no list or no version)
    verified_versions: list[str] = field(default_factory=list)
    description: str = ""


def resolve_binary(provider: Provider) -> list[str] | None:
    """The argv prefix that runs the provider's binary, or None if it is not installed.

    The fake agent falls back to `python -m cockpit.fake_agent` with this interpreter,
    so it works even when the console script is not on PATH.
    """
    found = shutil.which(os.path.expanduser(provider.binary))
    if found:
        return [found]
    if provider.binary == FAKE_BINARY and importlib.util.find_spec(FAKE_MODULE) is not None:
        return [sys.executable, "-m", FAKE_MODULE]
    return None


def probe_version(provider: Provider, timeout: float = 5.0) -> str | None:
    """The first non-empty line printed by `binary + version_args`, or None.

    None when version_args is empty, the binary is missing, it fails, or it outlives
    `timeout` (then its whole process group is killed). stdin is /dev/null so nothing
    can wait on input. `probe_version_detail` also says why there is no version.
    """
    return probe_version_detail(provider, timeout)[0]


def probe_version_detail(provider: Provider, timeout: float = 5.0) -> tuple[str | None, str | None]:
    """(version line, None) or (None, why not: "timed out after 5 s", "exited 1", ...)."""
    if not provider.version_args:
        return None, "no version_args in the catalog"
    prefix = resolve_binary(provider)
    if prefix is None:
        return None, "not installed"
    try:
        proc = subprocess.Popen(
            [*prefix, *provider.version_args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **provider.env},
            start_new_session=True,  # a timeout kills helpers it spawned, too
        )
    except OSError as exc:
        return None, f"cannot run it: {exc.strerror or exc}"
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return None, f"timed out after {timeout:g} s"
    if proc.returncode != 0:
        return None, f"`{' '.join(provider.version_args)}` exited {proc.returncode}"
    for raw in (out, err):
        for line in strip_ansi(raw.decode("utf-8", "replace")).splitlines():
            if line.strip():
                return line.strip()[:_VERSION_MAX_CHARS], None
    return None, "it printed no version"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.communicate()


def build_launch(
    provider: Provider, mode: str, prompt: str, prompt_file: Path, *, on_host: bool = False, policy: bool = False
) -> LaunchSpec:
    """The command for one dispatch of `provider` in `mode`.

    headless + stdin: stdin is `prompt_file` (the caller has written the prompt there).
    headless + arg: the "{prompt}" argument is replaced whole by `prompt`, byte-exact.
    interactive: no prompt in argv (the supervisor types it in once the screen is ready).
    argv = resolved binary + the mode's args + extra_args. Raises UsageError when the
    mode is not supported, the binary is missing, or the prompt cannot be an argument.
    `on_host`: the worker runs on an SSH host, whose PATH finds the binary (`cockpit hosts`
    checked it is there), so argv starts with the catalog's `binary` as written.
    `policy`: the repository has a permission policy, so the signals' `policy_args` (when
    the entry has them) wire the CLI's hooks instead of `args`.
    """
    spec = provider.spec(mode)
    if spec is None:
        raise UsageError(
            f"provider {provider.name} has no {mode} mode",
            hint=f"it supports {' and '.join(provider.modes)}",
        )
    prefix = [provider.binary] if on_host else resolve_binary(provider)
    if prefix is None:
        how = f"install it ({provider.install})" if provider.install else "install it or fix `binary` in the catalog"
        raise UsageError(
            f"provider {provider.name}: `{provider.binary}` is not installed or not on PATH",
            hint=f"{how}; `cockpit providers` lists the agent CLIs that were found",
        )
    env = dict(provider.env)
    # The CLI's own signals (hooks) go to $COCKPIT_SIGNALS, which the supervisor sets per worker.
    signals = provider.signals
    wiring = (signals.policy_args if policy and signals.policy_args is not None else signals.args) if signals else []
    if provider.signals is not None:
        env.update({name: str(trusted_data_file(file)) for name, file in provider.signals.data_env.items()})
    if not isinstance(spec, HeadlessSpec):
        return LaunchSpec([*prefix, *spec.args, *wiring, *provider.extra_args], env, None, mode)
    if spec.prompt_via == "stdin":
        return LaunchSpec([*prefix, *spec.args, *wiring, *provider.extra_args], env, prompt_file, mode)
    _check_prompt_argument(provider, prompt)
    index = spec.prompt_index
    assert index is not None  # arg mode always has one (validated by HeadlessSpec)
    args = list(spec.args)
    args[index] = prompt
    # stdin from /dev/null: an agent that reads stdin when it is not a TTY gets EOF, not a hang.
    return LaunchSpec([*prefix, *args, *wiring, *provider.extra_args], env, Path(os.devnull), mode, len(prefix) + index)


def data_file(name: str) -> Path:
    """A file shipped in cockpit/data (e.g. a CLI's hook settings), by absolute path."""
    from importlib import resources

    return Path(str(resources.files("cockpit") / "data" / name))


def trusted_data_file(name: str) -> Path:
    """`data_file(name)`, or a private copy of it when a directory above the shipped file is
    writable by others: gemini refuses a settings file under such a directory (a checkout
    under /tmp), so the copy goes to ~/.cache/cockpit/data (0700)."""
    shipped = data_file(name)
    if not _insecure_ancestor(shipped):
        return shipped
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cockpit" / "data"
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        copy = home / name
        data = shipped.read_bytes()
        if not copy.exists() or copy.read_bytes() != data:
            tmp = copy.with_name(f".{name}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.chmod(tmp, 0o600)
            os.replace(tmp, copy)
    except OSError:
        return shipped
    return shipped if _insecure_ancestor(copy) else copy


def _insecure_ancestor(path: Path) -> bool:
    for parent in path.resolve().parents:
        try:
            if parent.stat().st_mode & 0o022:
                return True
        except OSError:
            return True
    return False


def _check_prompt_argument(provider: Provider, prompt: str) -> None:
    try:
        size = len(os.fsencode(prompt))
    except UnicodeEncodeError:
        raise UsageError("the prompt is not valid text", hint="save it as UTF-8") from None
    if "\x00" in prompt:
        raise UsageError(
            f"the prompt contains a NUL byte, which provider {provider.name} cannot take as an argument",
            hint="remove the NUL byte, or use a provider that reads the prompt from stdin",
        )
    if size > MAX_ARG_BYTES:
        raise UsageError(
            f"the prompt is {size} bytes; provider {provider.name} takes it as one argument, "
            f"which Linux limits to {MAX_ARG_BYTES} bytes",
            hint="shorten it, or use a provider that reads the prompt from stdin",
        )


def list_providers(catalog: Catalog, timeout: float = 5.0) -> list[ProviderStatus]:
    """Every catalog entry, whether its binary was found, and its version (probed in parallel)."""
    providers = [catalog.get(name) for name in catalog.names()]
    prefixes = {p.name: resolve_binary(p) for p in providers}

    def probe(provider: Provider) -> tuple[str | None, str | None]:
        return probe_version_detail(provider, timeout) if prefixes[provider.name] else (None, "not installed")

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(providers)))) as pool:
        versions = list(pool.map(probe, providers))
    return [
        ProviderStatus(
            name=p.name,
            binary=p.binary,
            found=prefixes[p.name] is not None,
            path=" ".join(prefixes[p.name] or []) or None,
            version=version,
            modes=p.modes,
            version_error=error if prefixes[p.name] else None,
            verified=p.is_verified(version),
            verified_versions=list(p.verified_versions),
            description=p.description,
        )
        for p, (version, error) in zip(providers, versions, strict=True)
    ]
