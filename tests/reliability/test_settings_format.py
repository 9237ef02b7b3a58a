"""Every settings file is read one way and fails one way: `file:line: field: message`.

The repository's config, the user's config, the gate file, the policy and the provider
catalog report the same problem in the same words (each keeps its own meaning); the UI
preferences report it the same way but never fail; an environment override says
`$VARIABLE: field: problem`; and from the command line a bad file is one line, exit 2,
with nothing written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from reliability_kit import file_list, ledger_bytes, one_clear_line

from cockpit.errors import UsageError
from cockpit.runtime.gate_config import load_gates
from cockpit.runtime.policy_file import load_policy
from cockpit.runtime.provider_catalog import load_catalog
from cockpit.runtime.yaml_lines import display_path
from cockpit.service.settings import (
    load_config,
    load_settings,
    load_ui_preferences,
    load_user_config,
    ui_preferences_path,
    user_config_path,
)


def user_dir() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "cockpit"


# (where the file goes, a loader, a file with an unknown field on line 3, that field's dotted path)
FILES: dict[str, tuple[Callable[[Path], Path], Callable[[Path], Any], str, str]] = {
    "repo config": (
        lambda repo: repo / ".cockpit" / "config.yaml",
        lambda repo: load_config(repo, env={}),
        "supervisor:\n  max_workers: 2\n  max_wrokers: 3\n",
        "supervisor.max_wrokers",
    ),
    "user config": (
        lambda repo: user_config_path(),
        lambda repo: load_user_config(),
        "notify:\n  desktop: false\n  destkop: true\n",
        "notify.destkop",
    ),
    "gate file": (
        lambda repo: repo / ".cockpit" / "gates.yaml",
        load_gates,
        "gates:\n  unit:\n    kind: command\n    run: make\n    timout: 5\n",
        "gates.unit.timout",
    ),
    "policy": (
        lambda repo: repo / ".cockpit" / "policy.yaml",
        load_policy,
        "rules:\n  - id: a\n    decision: allow\n    tol: Bash\n",
        "rules.0.tol",
    ),
    "catalog": (
        lambda repo: repo / ".cockpit" / "providers.yaml",
        lambda repo: load_catalog(repo, user_config_dir=repo / "no-user-dir"),
        "providers:\n  fake:\n    binray: x\n",
        "providers.fake.binray",
    ),
}


def line_of(text: str, key: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith(f"{key}:"))


@pytest.mark.parametrize("which", sorted(FILES))
def test_an_unknown_field_is_named_with_file_and_line_in_every_file(tmp_path: Path, which: str) -> None:
    place, load, text, field = FILES[which]
    path = place(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    with pytest.raises(UsageError) as caught:
        load(tmp_path)
    line = line_of(text, field.rsplit(".", 1)[-1])
    assert str(caught.value).startswith(f"{display_path(path)}:{line}: {field}: unknown field (docs/")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("which", sorted(FILES))
def test_malformed_yaml_and_bad_bytes_read_the_same_in_every_file(tmp_path: Path, which: str) -> None:
    place, load, _, _ = FILES[which]
    path = place(tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("a:\n  b: [1, 2\n  c: 3\n")
    with pytest.raises(UsageError, match=rf"^{display_path(path)}:3: malformed YAML: "):
        load(tmp_path)
    path.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(UsageError) as caught:
        load(tmp_path)
    assert str(caught.value) == f"{display_path(path)}: not UTF-8 text"


def test_a_wrong_type_in_the_user_config_names_its_line(tmp_path: Path) -> None:
    path = user_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# mine\nnotify:\n  max_per_minute: lots\n")
    with pytest.raises(UsageError) as caught:
        load_user_config()
    assert (
        str(caught.value)
        == f"{display_path(path)}:3: notify.max_per_minute: Input should be a valid integer, unable to parse string as an integer"
    )


def test_ui_preferences_report_in_the_same_format_and_never_fail(tmp_path: Path) -> None:
    path = ui_preferences_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{\n  "theme": 3\n}\n')
    prefs, problem = load_ui_preferences()
    assert prefs.theme is None
    assert problem is not None and problem.startswith(f"{display_path(path)}:2: theme: Input should be a valid string")
    assert load_settings(None).ui.theme is None  # the whole model still loads


@pytest.mark.parametrize(
    ("value", "expected"),
    [("lots", "$COCKPIT_MAX_WORKERS: supervisor.max_workers: must be a whole number, got 'lots'"), ("7", None), ("0", None)],
)
def test_environment_overrides(tmp_path: Path, value: str, expected: str | None) -> None:
    (tmp_path / ".cockpit").mkdir()
    (tmp_path / ".cockpit" / "config.yaml").write_text("supervisor:\n  max_workers: 2\n")
    if expected is not None:
        with pytest.raises(UsageError) as caught:
            load_config(tmp_path, env={"COCKPIT_MAX_WORKERS": value})
        assert str(caught.value) == expected
        return
    assert load_config(tmp_path, env={"COCKPIT_MAX_WORKERS": value}).supervisor.max_workers == max(1, int(value))
    assert load_config(tmp_path, env={}).supervisor.max_workers == 2


def test_the_settings_model_holds_all_of_them(tmp_path: Path) -> None:
    (tmp_path / ".cockpit").mkdir()
    (tmp_path / ".cockpit" / "config.yaml").write_text("default_provider: shell\nmcp:\n  allow_dispatch: false\n")
    user_config_path().parent.mkdir(parents=True, exist_ok=True)
    user_config_path().write_text("mcp:\n  allow_dispatch: true\n")
    ui_preferences_path().write_text('{"theme": "dusk"}')
    settings = load_settings(tmp_path, env={**os.environ, "COCKPIT_MAX_WORKERS": "9"})
    assert settings.repo.default_provider == "shell" and settings.repo.supervisor.max_workers == 9
    assert settings.user.notify.desktop is True and settings.ui.theme == "dusk"
    assert settings.mcp_allow_dispatch  # either file enables it


def run_cockpit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cockpit", *args], check=False, cwd=repo, capture_output=True, text=True, timeout=60
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("config", "says"),
    [
        (
            "supervisor:\n  max_workers: 2\n  gate_concurency: 3\n",
            ".cockpit/config.yaml:3: supervisor.gate_concurency: unknown field",
        ),
        ("default_provider: nosuch\n", "unknown provider 'nosuch' (default_provider in .cockpit/config.yaml)"),
    ],
)
def test_a_bad_repo_config_stops_dispatch_with_one_line_and_exit_2(repo: Path, config: str, says: str) -> None:
    assert run_cockpit(repo, "init").returncode == 0
    (repo / ".cockpit").mkdir()
    (repo / ".cockpit" / "config.yaml").write_text(config)
    state = next(Path(os.environ["COCKPIT_HOME"]).iterdir())
    before = (ledger_bytes(state), file_list(state))
    result = run_cockpit(repo, "dispatch", "@fake say hi")
    assert result.returncode == 2, result.stderr
    one_clear_line(result.stderr)
    assert says in result.stderr
    assert (ledger_bytes(state), file_list(state)) == before
