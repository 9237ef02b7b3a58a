"""Loading, merging and validating the provider catalog; errors name file:line: field."""

from __future__ import annotations

from pathlib import Path

import pytest
from provider_helpers import write

from cockpit.domain.provider import Catalog, HeadlessSpec, Provider
from cockpit.errors import UsageError
from cockpit.runtime.providers import (
    catalog_files,
    catalog_from_texts,
    default_catalog_path,
    load_catalog,
    user_catalog_path,
)

DEFAULT_NAMES = ["aider", "claude", "codex", "fake", "gemini", "ollama", "opencode", "shell"]


def load_error(*files: tuple[str, str]) -> str:
    with pytest.raises(UsageError) as caught:
        catalog_from_texts(list(files))
    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert "\n" not in message, "the error must be one line"
    return message


def test_default_catalog_ships_every_provider() -> None:
    catalog = load_catalog(None)
    assert catalog.names() == DEFAULT_NAMES
    assert default_catalog_path() is not None
    for name in DEFAULT_NAMES:
        provider = catalog.get(name)
        assert provider.name == name
        assert provider.spec(provider.default_mode) is not None
        assert provider.install or provider.binary.startswith("/"), f"{name} needs an install hint"


def test_catalog_get_unknown_raises_key_error() -> None:
    with pytest.raises(KeyError):
        load_catalog(None).get("nope")


def test_default_claude_entry_matches_the_reference_flags() -> None:
    claude = load_catalog(None).get("claude")
    assert claude.headless == HeadlessSpec(
        args=["-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits"],
        prompt_via="stdin",
    )
    assert claude.env == {"DISABLE_AUTOUPDATER": "1"}
    assert claude.usage_parser == "claude"
    assert "bypassPermissions" not in claude.headless.args  # refused when run as root


def test_user_then_repo_files_merge_field_by_field(tmp_path: Path) -> None:
    user_dir = tmp_path / "config" / "cockpit"
    repo = tmp_path / "repo"
    write(
        user_catalog_path(user_dir),
        """
        providers:
          claude:
            extra_args: [--model, sonnet]
            env: {FOO: bar}
            patterns:
              ready: ['^READY$']
          mine:
            binary: mytool
            headless: {args: ["{prompt}"], prompt_via: arg}
    """,
    )
    write(
        repo / ".cockpit" / "providers.yaml",
        """
        providers:
          claude:
            extra_args: [--model, opus]
            description: repo claude
          mine:
            description: from the repo
    """,
    )
    assert catalog_files(repo, user_dir) == [
        default_catalog_path(),
        user_catalog_path(user_dir),
        repo / ".cockpit" / "providers.yaml",
    ]
    catalog = load_catalog(repo, user_config_dir=user_dir)
    claude = catalog.get("claude")
    assert claude.extra_args == ["--model", "opus"]  # the repo's list replaces the user's whole
    assert claude.description == "repo claude"
    assert claude.env == {"DISABLE_AUTOUPDATER": "1", "FOO": "bar"}  # nested mappings merge
    assert claude.patterns.ready == ["^READY$"]
    assert claude.patterns.waiting == load_catalog(None).get("claude").patterns.waiting
    assert claude.headless is not None and claude.headless.prompt_via == "stdin"  # untouched fields stay
    mine = catalog.get("mine")
    assert (mine.binary, mine.description, mine.default_mode) == ("mytool", "from the repo", "headless")


def test_user_file_comes_from_xdg_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    write(tmp_path / "xdg" / "cockpit" / "providers.yaml", "providers:\n  claude:\n    description: mine\n")
    assert load_catalog(None).get("claude").description == "mine"
    assert catalog_files(None) == [default_catalog_path(), tmp_path / "xdg" / "cockpit" / "providers.yaml"]


def test_missing_optional_files_are_skipped(tmp_path: Path) -> None:
    assert catalog_files(tmp_path / "repo", tmp_path / "none") == [default_catalog_path()]
    assert load_catalog(tmp_path / "repo", user_config_dir=tmp_path / "none").names() == DEFAULT_NAMES


def test_empty_override_file_changes_nothing() -> None:
    base = ("base.yaml", "providers:\n  x:\n    binary: x\n    headless: {args: [], prompt_via: stdin}\n")
    assert catalog_from_texts([base, ("empty.yaml", "")]) == catalog_from_texts([base])


def test_error_paths_under_home_are_shown_with_a_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    user_dir = tmp_path / ".config" / "cockpit"
    write(
        user_catalog_path(user_dir),
        """
        # my overrides
        providers:
          claude:
            headless:
              args: "-p"
    """,
    )
    with pytest.raises(UsageError) as caught:
        load_catalog(None, user_config_dir=user_dir)
    assert str(caught.value) == (
        "~/.config/cockpit/providers.yaml:5: providers.claude.headless.args: Input should be a valid list"
    )


BASE = ("base.yaml", "providers:\n  claude:\n    binary: claude\n    headless: {args: [-p], prompt_via: stdin}\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # malformed YAML: names the line of the problem
        ("providers:\n  claude:\n    binary: [a, b\n    env: {}\n", "user.yaml:4: malformed YAML: "),
        ("providers:\n  claude:\n\tbinary: x\n", "user.yaml:3: malformed YAML: "),
        # wrong types
        (
            "providers:\n  claude:\n    headless:\n      args: yes\n",
            "user.yaml:4: providers.claude.headless.args: Input should be a valid list",
        ),
        (
            "providers:\n  claude:\n    headless:\n      args:\n        - -p\n        - 3\n",
            "user.yaml:6: providers.claude.headless.args.1: Input should be a valid string",
        ),
        (
            "providers:\n  claude:\n    env:\n      FOO: 1\n",
            "user.yaml:4: providers.claude.env.FOO: Input should be a valid string",
        ),
        ("providers: [claude]\n", "user.yaml:1: providers: Input should be a valid dictionary"),
        # unknown fields
        ("providers:\n  claude:\n\n    headles: {}\n", "user.yaml:4: providers.claude.headles: unknown field"),
        ("version: 2\nproviders: {}\n", "user.yaml:1: version: unknown field"),
        # bad regex
        (
            "providers:\n  claude:\n    patterns:\n      waiting:\n        - ok\n        - '(unclosed'\n",
            "user.yaml:6: providers.claude.patterns.waiting.1: not a valid regular expression",
        ),
        # semantic checks
        (
            "providers:\n  claude:\n    default_mode: interactive\n",
            'user.yaml:2: providers.claude: default_mode is "interactive" but no interactive section is given',
        ),
        (
            "providers:\n  claude:\n    headless: {args: [x], prompt_via: arg}\n",
            'user.yaml:3: providers.claude.headless: prompt_via "arg" needs exactly one "{prompt}" argument, found 0',
        ),
        (
            "providers:\n  claude:\n    headless: {args: ['--m={prompt}'], prompt_via: arg}\n",
            'user.yaml:3: providers.claude.headless: "{prompt}" must be an argument of its own',
        ),
        (
            "providers:\n  claude:\n    env: {'A-B': x}\n",
            "user.yaml:3: providers.claude.env: 'A-B' is not a valid environment variable name",
        ),
        (
            "providers:\n  Bad:\n    binary: x\n    headless: {args: [], prompt_via: stdin}\n",
            "user.yaml:2: providers.Bad.name: String should match pattern",
        ),
        ("providers:\n  new:\n    description: no binary\n", "user.yaml:2: providers.new.binary: required field is missing"),
        (
            "providers:\n  claude:\n    prices: {input_per_mtok_usd: -1, output_per_mtok_usd: 1}\n",
            "user.yaml:3: providers.claude.prices.input_per_mtok_usd: Input should be greater than or equal to 0",
        ),
        # YAML structure checks done while reading
        ("providers:\n  claude:\n    binary: a\n    binary: b\n", "user.yaml:4: providers.claude.binary: duplicate key"),
        ("- just\n- a list\n", "user.yaml:1: the catalog must be a mapping"),
        ("providers:\n  claude:\n    env: {1: x}\n", "user.yaml:3: providers.claude.env: keys must be plain strings"),
    ],
)
def test_bad_file_gives_one_line_with_file_line_and_field(text: str, expected: str) -> None:
    assert load_error(BASE, ("user.yaml", text)).startswith(expected)


def test_error_names_the_file_that_supplied_the_bad_value() -> None:
    user = ("user.yaml", "providers:\n  claude:\n    description: fine\n")
    repo = ("repo.yaml", "\n\nproviders:\n  claude:\n    version_args: --version\n")
    assert load_error(BASE, user, repo).startswith("repo.yaml:5: providers.claude.version_args: Input should be a valid list")


def test_later_file_replacing_a_bad_value_fixes_it() -> None:
    user = ("user.yaml", "providers:\n  claude:\n    extra_args: oops\n")
    repo = ("repo.yaml", "providers:\n  claude:\n    extra_args: [--ok]\n")
    assert catalog_from_texts([BASE, user, repo]).get("claude").extra_args == ["--ok"]


def test_several_problems_are_counted_on_the_one_line() -> None:
    message = load_error(BASE, ("user.yaml", "providers:\n  claude:\n    env: []\n    extra_args: x\n"))
    assert message.startswith("user.yaml:3: providers.claude.env: Input should be a valid dictionary")
    assert message.endswith("(and 1 more problem)")


def test_prices_keep_decimal_precision() -> None:
    text = "providers:\n  claude:\n    prices: {input_per_mtok_usd: 0.1, output_per_mtok_usd: '15.000001'}\n"
    prices = catalog_from_texts([BASE, ("user.yaml", text)]).get("claude").prices
    assert prices is not None
    assert (str(prices.input_per_mtok_usd), str(prices.output_per_mtok_usd)) == ("0.1", "15.000001")


def test_yaml_merge_keys_and_anchors_work() -> None:
    text = """
providers:
  a: &common
    binary: tool
    headless: {args: [run], prompt_via: stdin}
  b:
    <<: *common
    description: same tool
"""
    catalog = catalog_from_texts([("x.yaml", text)])
    assert catalog.get("b").binary == "tool" and catalog.get("b").description == "same tool"


def test_models_are_usable_directly() -> None:
    provider = Provider(name="tool", binary="tool", headless=HeadlessSpec(args=["{prompt}"], prompt_via="arg"))
    assert provider.modes == ["headless"] and provider.headless is not None
    assert provider.headless.prompt_index == 0
    with pytest.raises(ValueError, match="must be equal"):
        Catalog(providers={"other": provider})


def test_bare_keys_in_a_half_written_file_change_nothing() -> None:
    assert catalog_from_texts([BASE, ("user.yaml", "providers:\n")]) == catalog_from_texts([BASE])
    assert catalog_from_texts([BASE, ("user.yaml", "providers:\n  claude:\n")]) == catalog_from_texts([BASE])


def test_null_section_removes_it() -> None:
    both = BASE[1] + "    interactive: {args: []}\n"
    catalog = catalog_from_texts([("base.yaml", both), ("user.yaml", "providers:\n  claude:\n    interactive: null\n")])
    assert catalog.get("claude").interactive is None


def test_copied_patterns_classify_with_their_own_regexes() -> None:
    patterns = load_catalog(None).get("fake").patterns
    assert patterns.classify("> ") == "ready"
    changed = patterns.model_copy(update={"ready": ["^READY$"]})
    assert changed.classify("> ") is None and changed.classify("READY") == "ready"
    assert patterns == load_catalog(None).get("fake").patterns


def test_name_field_must_match_its_key() -> None:
    text = "providers:\n  claude:\n    name: claude\n  other:\n    binary: x\n    name: else\n"
    assert load_error(BASE, ("user.yaml", text)) == "user.yaml:6: providers.other.name: must be 'other' (the key) or left out"


def test_unreadable_catalogs_are_usage_errors(tmp_path: Path) -> None:
    user_dir = tmp_path / "cfg"
    user_dir.mkdir()
    user_catalog_path(user_dir).write_bytes(b"providers:\n  claude:\n    description: \xff\xfe\n")
    with pytest.raises(UsageError, match="not UTF-8 text"):
        load_catalog(None, user_config_dir=user_dir)
