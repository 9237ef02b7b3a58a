"""Building the command for each provider and mode; finding binaries; probing versions."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from provider_helpers import make_stub, private_path

import cockpit
from cockpit import __version__
from cockpit.domain.provider import HeadlessSpec, Provider
from cockpit.errors import UsageError
from cockpit.runtime.providers import (
    MAX_ARG_BYTES,
    build_launch,
    list_providers,
    load_catalog,
    probe_version,
    resolve_binary,
)

CATALOG = load_catalog(None)
AGENTS = ["claude", "codex", "gemini", "opencode", "aider", "ollama"]
HOSTILE = '--help\n\'; rm -rf ~ #"$(id)" `x` \\ {prompt} ${HOME} é ❯ \t\r end -'

# The argv after the binary, per provider and mode, exactly as the catalog promises.
EXPECTED_ARGS = {
    ("claude", "headless"): ["-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits"],
    ("claude", "interactive"): ["--permission-mode", "acceptEdits"],
    ("codex", "headless"): ["exec", "--json", "--sandbox", "workspace-write", "-"],
    ("codex", "interactive"): ["--no-daemon", "--sandbox", "workspace-write"],
    ("gemini", "headless"): ["-o", "json", "--skip-trust", "--approval-mode", "auto_edit"],
    ("gemini", "interactive"): ["--skip-trust", "--approval-mode", "auto_edit"],
    ("opencode", "headless"): ["run", "--format", "json"],
    ("opencode", "interactive"): [],
    ("aider", "headless"): [
        "--message-file",
        "/dev/stdin",
        "--yes-always",
        "--no-pretty",
        "--no-stream",
        "--no-gitignore",
        "--no-auto-commits",
        "--no-suggest-shell-commands",
        "--no-detect-urls",
        "--no-check-update",
        "--no-show-release-notes",
        "--no-analytics",
    ],
    ("aider", "interactive"): [
        "--no-stream",
        "--no-gitignore",
        "--no-auto-commits",
        "--no-check-update",
        "--no-show-release-notes",
        "--no-analytics",
    ],
    ("ollama", "headless"): ["run", "llama3.2"],
    ("ollama", "interactive"): ["run", "llama3.2"],
    ("fake", "headless"): ["-p", "-", "--output-format", "stream-json", "--verbose"],
    ("fake", "interactive"): [],
}


def test_claude_hooks_are_wired_through_settings_to_the_signal_script() -> None:
    import json

    signals = CATALOG.get("claude").signals
    assert signals.args[0] == signals.policy_args[0] == "--settings"
    hooks, with_policy = json.loads(signals.args[1])["hooks"], json.loads(signals.policy_args[1])["hooks"]
    # PreToolUse is cockpit's permission policy (docs/permissions.md), wired only with a policy:
    # claude waits for it before every permission dialog. The others feed the signals file.
    permission = with_policy.pop("PreToolUse")
    assert permission[0]["hooks"][0]["command"].endswith('"$COCKPIT_PYTHON" -m cockpit.service.permission_hook')
    assert hooks == with_policy
    assert set(hooks) == {"UserPromptSubmit", "PermissionRequest", "Notification", "Stop", "SessionEnd"}
    for event, entries in hooks.items():
        assert entries[0]["hooks"][0]["command"] == f'sh "$COCKPIT_SIGNAL_HOOK" {event}'


@pytest.mark.parametrize("policy", [False, True])
def test_the_permission_hook_is_in_claudes_argv_only_when_the_repository_has_a_policy(
    policy: bool, bin_dir: Path, tmp_path: Path
) -> None:
    claude = CATALOG.get("claude")
    spec = build_launch(claude, "interactive", "hi", tmp_path / "prompt.txt", policy=policy)
    wiring = claude.signals.policy_args if policy else claude.signals.args
    assert spec.argv == [str(bin_dir / "claude"), *claude.interactive.args, *wiring]
    assert ("cockpit.service.permission_hook" in " ".join(spec.argv)) is policy


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding stub binaries for every agent CLI (and nothing else from the machine)."""
    directory = tmp_path / "bin"
    private_path(monkeypatch, directory)
    for name in AGENTS:
        make_stub(directory, name, f'echo "{name} 1.0"\n')
    return directory


@pytest.mark.parametrize(("name", "mode"), sorted(EXPECTED_ARGS), ids=lambda v: str(v))
def test_argv_for_each_provider_and_mode(name: str, mode: str, bin_dir: Path, tmp_path: Path) -> None:
    prompt_file = tmp_path / "prompt.txt"
    spec = build_launch(CATALOG.get(name), mode, HOSTILE, prompt_file)
    binary = str(bin_dir / name) if name != "fake" else None
    prefix = [binary] if binary else resolve_binary(CATALOG.get("fake"))
    provider = CATALOG.get(name)
    wiring = provider.signals.args if provider.signals is not None else []  # the CLI's hooks -> $COCKPIT_SIGNALS
    assert spec.argv == [*prefix, *EXPECTED_ARGS[(name, mode)], *wiring]
    assert HOSTILE not in spec.argv  # the prompt travels on stdin or is typed in, never in argv here
    assert spec.mode == mode
    assert spec.prompt_arg_index is None
    assert spec.stdin_path == (prompt_file if mode == "headless" else None)
    expected_env = {
        "claude": {"DISABLE_AUTOUPDATER": "1"},
        "opencode": {
            "OPENCODE_DISABLE_AUTOUPDATE": "1",
            "OPENCODE_CONFIG_CONTENT": '{"plugin": ["file://{env:COCKPIT_DATA_DIR}/opencode-signals.js"]}',
        },
    }.get(name, {})
    if name == "gemini":  # its hooks live in a shipped settings file that an env var names
        from cockpit.runtime.provider_launch import trusted_data_file

        shipped = Path(cockpit.__file__).parent / "data" / "gemini-signals.json"
        expected_env = {"GEMINI_CLI_SYSTEM_DEFAULTS_PATH": str(trusted_data_file("gemini-signals.json"))}
        assert Path(spec.env["GEMINI_CLI_SYSTEM_DEFAULTS_PATH"]).read_bytes() == shipped.read_bytes()
    assert spec.env == expected_env


def test_shell_puts_the_prompt_in_argv_byte_exact(tmp_path: Path) -> None:
    spec = build_launch(CATALOG.get("shell"), "headless", HOSTILE, tmp_path / "unused")
    assert spec.argv == ["/bin/sh", "-c", "--", HOSTILE]
    assert spec.argv[spec.prompt_arg_index or 0] is HOSTILE
    assert spec.stdin_path == Path(os.devnull)


def test_shell_runs_the_prompt_as_the_command(tmp_path: Path) -> None:
    command = "printf '%s|' \"a  b\" '$HOME' \"it's\"; -x 2>/dev/null; echo ran"
    spec = build_launch(CATALOG.get("shell"), "headless", command, tmp_path / "unused")
    done = subprocess.run(spec.argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    assert done.stdout == "a  b|$HOME|it's|ran\n"


def test_arg_prompt_reaches_the_program_unchanged(tmp_path: Path) -> None:
    echo = [
        "-c",
        "import os, sys; sys.stdout.buffer.write(os.fsencode(sys.argv[1]))",
        "{prompt}",
    ]
    provider = Provider(name="echo", binary=sys.executable, headless=HeadlessSpec(args=echo, prompt_via="arg"))
    spec = build_launch(provider, "headless", HOSTILE, tmp_path / "unused")
    done = subprocess.run(spec.argv, capture_output=True, stdin=subprocess.DEVNULL, check=True)
    assert done.stdout == HOSTILE.encode()
    assert spec.prompt_arg_index == 3  # python, -c, code, prompt


def test_extra_args_come_after_the_mode_args(bin_dir: Path, tmp_path: Path) -> None:
    claude = CATALOG.get("claude").model_copy(update={"extra_args": ["--model", "sonnet"]})
    spec = build_launch(claude, "interactive", "x", tmp_path / "p")
    assert spec.argv == [str(bin_dir / "claude"), "--permission-mode", "acceptEdits", *claude.signals.args, "--model", "sonnet"]


def test_missing_binary_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_path(monkeypatch, tmp_path / "empty-bin")
    with pytest.raises(UsageError) as caught:
        build_launch(CATALOG.get("codex"), "headless", "hi", tmp_path / "p")
    message = str(caught.value)
    assert caught.value.exit_code == 2
    assert "`codex` is not installed" in message
    assert "npm install -g @openai/codex" in message
    assert "`cockpit providers`" in message


def test_unsupported_mode_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="provider shell has no interactive mode; it supports headless"):
        build_launch(CATALOG.get("shell"), "interactive", "ls", tmp_path / "p")
    with pytest.raises(UsageError, match="has no sideways mode"):
        build_launch(CATALOG.get("fake"), "sideways", "x", tmp_path / "p")


def test_prompts_that_cannot_be_an_argument_are_refused(tmp_path: Path) -> None:
    shell = CATALOG.get("shell")
    with pytest.raises(UsageError, match="NUL byte"):
        build_launch(shell, "headless", "echo a\x00b", tmp_path / "p")
    with pytest.raises(UsageError, match=f"limits to {MAX_ARG_BYTES} bytes"):
        build_launch(shell, "headless", "é" * (MAX_ARG_BYTES // 2 + 1), tmp_path / "p")
    longest = "x" * MAX_ARG_BYTES
    spec = build_launch(shell, "headless", f": {longest[2:]}", tmp_path / "p")
    assert subprocess.run(spec.argv, stdin=subprocess.DEVNULL, check=False).returncode == 0


def test_fake_agent_falls_back_to_this_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_path(monkeypatch, tmp_path / "bin")
    fake = CATALOG.get("fake")
    assert resolve_binary(fake) == [sys.executable, "-m", "cockpit.fake_agent"]
    script = make_stub(tmp_path / "bin", "cockpit-fake-agent", "exit 0\n")
    assert resolve_binary(fake) == [str(script)]


@pytest.mark.integration  # runs the fake agent program
def test_fake_agent_runs_headless_from_the_built_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_path(monkeypatch, tmp_path / "bin")
    prompt = "@fake say hello\n@fake usage 10 5 0.25\n"
    prompt_file = tmp_path / "prompt.txt"
    prompt_file.write_text(prompt)
    spec = build_launch(CATALOG.get("fake"), "headless", prompt, prompt_file)
    assert spec.stdin_path is not None
    with spec.stdin_path.open("rb") as stdin:
        done = subprocess.run(
            spec.argv,
            stdin=stdin,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, **spec.env},
            timeout=30,
            check=False,
            start_new_session=True,
        )
    assert done.returncode == 0, done.stderr
    assert "hello" in done.stdout and '"type":"result"' in done.stdout


def test_binary_given_as_a_path(tmp_path: Path) -> None:
    tool = make_stub(tmp_path / "elsewhere", "tool", "exit 0\n")
    provider = Provider(name="t", binary=str(tool), headless=HeadlessSpec(args=[], prompt_via="stdin"))
    assert resolve_binary(provider) == [str(tool)]
    assert resolve_binary(provider.model_copy(update={"binary": str(tmp_path / "absent")})) is None


def test_probe_version_reads_the_first_line_without_escapes(bin_dir: Path) -> None:
    make_stub(
        bin_dir,
        "codex",
        r"""
        printf '\n\033[1mcodex-cli 0.169.0\033[0m\r\nmore\n'
    """,
    )
    assert probe_version(CATALOG.get("codex")) == "codex-cli 0.169.0"
    make_stub(bin_dir, "gemini", "echo '0.61.0' >&2\n")
    assert probe_version(CATALOG.get("gemini")) == "0.61.0"  # some CLIs print it on stderr
    make_stub(bin_dir, "aider", "echo 'usage: aider'; exit 2\n")
    assert probe_version(CATALOG.get("aider")) is None  # a failing probe is no version
    assert probe_version(CATALOG.get("shell")) is None  # no version_args: not probed


def test_probe_version_gets_no_stdin_and_the_provider_env(bin_dir: Path) -> None:
    make_stub(
        bin_dir,
        "claude",
        r"""
        if read line; then echo "read: $line"; else echo "eof $DISABLE_AUTOUPDATER"; fi
    """,
    )
    assert probe_version(CATALOG.get("claude")) == "eof 1"


def test_probe_version_times_out_and_kills_what_it_started(bin_dir: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    make_stub(
        bin_dir,
        "opencode",
        f"""
        sleep 600 &
        echo $! > {pid_file}
        wait
    """,
    )
    started = time.monotonic()
    assert probe_version(CATALOG.get("opencode"), timeout=0.5) is None
    assert time.monotonic() - started < 30  # not the grandchild's 600 s: the probe did not wait for it
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 60
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the probe's grandchild outlived the timeout"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purpose.
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ", 1)[1].startswith("Z"))


@pytest.mark.integration  # runs the fake agent program for its version
def test_list_providers_reports_found_binaries_and_versions(bin_dir: Path) -> None:
    (bin_dir / "gemini").unlink()
    statuses = {s.name: s for s in list_providers(CATALOG, timeout=60)}
    assert sorted(statuses) == CATALOG.names()
    assert statuses["claude"].found and statuses["claude"].version == "claude 1.0"
    assert statuses["claude"].path == str(bin_dir / "claude")
    assert statuses["claude"].modes == ["headless", "interactive"]
    assert not statuses["gemini"].found and statuses["gemini"].version is None and statuses["gemini"].path is None
    assert statuses["shell"].found and statuses["shell"].modes == ["headless"]
    assert statuses["fake"].found and statuses["fake"].version == f"cockpit-fake-agent {__version__}"
