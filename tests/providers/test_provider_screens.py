"""The default catalog's screen patterns against screens captured from the real CLIs."""

from __future__ import annotations

import pytest
from provider_helpers import SCREENS, screen

from cockpit.domain.provider import ScreenPatterns, strip_ansi
from cockpit.runtime.providers import load_catalog

CATALOG = load_catalog(None)

# (provider, captured screen, expected state). Each row is a capture of that provider.
CAPTURED = [
    ("claude", "claude/first-screen.txt", None),  # no network: error text, process exited
    ("claude", "claude/first-screen-onboarded.txt", "waiting"),  # trust prompt, 2.1.197
    ("claude", "claude/first-screen-onboarded-ansi.txt", "waiting"),
    ("claude", "claude/after-first-enter-onboarded.txt", "waiting"),  # "Not logged in · Run /login"
    ("claude", "claude/v2.1.330/first-screen-onboarded.txt", "waiting"),  # trust prompt, cursor on "No, exit"
    ("claude", "claude/v2.1.330/after-down-key-onboarded.txt", "waiting"),
    ("claude", "claude/v2.1.330/after-down-then-enter-onboarded.txt", "waiting"),  # "run /login"
    ("claude", "claude/v2.1.330/after-down-then-enter-onboarded-ansi.txt", "waiting"),
    # claude 2.1.197 against the scripted model service (the conformance runs; tmux 120x40)
    ("claude", "claude-2.1.197-trust.txt", "waiting"),  # a folder claude was not told to trust
    ("claude", "claude-2.1.197-ready.txt", "ready"),
    ("claude", "claude-2.1.197-working.txt", "working"),  # spinner, "esc to interrupt" in the footer
    ("claude", "claude-2.1.197-permission-bash.txt", "waiting"),  # acceptEdits: a shell command asks
    ("claude", "claude-2.1.197-permission-write.txt", "waiting"),  # default mode: a new file asks
    ("claude", "claude-2.1.197-idle-after-turn.txt", "ready"),  # the input box is back: idle
    ("claude", "claude-2.1.197-refused.txt", "ready"),  # permission refused ("3"): no hook, the box is back
    ("claude", "claude-2.1.197-auth-error.txt", "ready"),  # a 401 ends the turn in the TUI
    ("codex", "codex/first-screen.txt", "waiting"),  # sign-in menu
    ("codex", "codex/first-screen-no-daemon.txt", "waiting"),
    ("codex", "codex/first-screen-ansi.txt", "waiting"),
    # codex 0.169.0 against the scripted model service (profile: cockpit/modelservice/profile_codex.py)
    ("codex", "codex-0.169.0-loading.txt", None),  # composer drawn before codex has loaded: not ready yet
    ("codex", "codex-0.169.0-ready.txt", "ready"),
    ("codex", "codex-0.169.0-trust.txt", "waiting"),
    ("codex", "codex-0.169.0-working.txt", "working"),
    ("codex", "codex-0.169.0-permission.txt", "waiting"),
    ("codex", "codex-0.169.0-idle-after-turn.txt", "idle"),
    ("codex", "codex-0.169.0-permission-denied.txt", "idle"),
    ("codex", "codex-0.169.0-error-401.txt", "idle"),
    ("gemini", "gemini/first-screen.txt", "waiting"),  # trust dialog
    ("gemini", "gemini/first-screen-ansi.txt", "waiting"),
    ("gemini", "gemini/after-first-enter.txt", "waiting"),  # auth dialog
    # gemini 0.61.0 against the scripted model service (profile: cockpit/modelservice/profile_gemini.py)
    ("gemini", "gemini-0.61.0-ready.txt", "ready"),
    ("gemini", "gemini-0.61.0-working.txt", "working"),
    ("gemini", "gemini-0.61.0-permission.txt", "waiting"),
    ("gemini", "gemini-0.61.0-permission-edit.txt", "waiting"),
    ("gemini", "gemini-0.61.0-idle-after-turn.txt", "idle"),
    ("gemini", "gemini-0.61.0-permission-denied.txt", "idle"),
    ("gemini", "gemini-0.61.0-error-401.txt", "idle"),
    ("opencode", "opencode/first-screen.txt", "ready"),
    ("opencode", "opencode/first-screen-ansi.txt", "ready"),
    ("opencode", "opencode/first-screen-at-5s.txt", None),  # still blank
    ("aider", "aider/first-screen.txt", "waiting"),  # (Y)es/(N)o about .gitignore
    ("aider", "aider/first-screen-ansi.txt", "waiting"),
    ("aider", "aider/after-first-enter.txt", "waiting"),  # (Y)es/(N)o about OpenRouter (also refused)
    # Offline runs against the scripted model service (issue 9).
    ("opencode", "opencode/opencode-1.18.33-ready.txt", "ready"),
    ("opencode", "opencode/opencode-1.18.33-working.txt", "working"),
    ("opencode", "opencode/opencode-1.18.33-permission.txt", "waiting"),
    ("opencode", "opencode/opencode-1.18.33-after-turn.txt", "idle"),
    ("opencode", "opencode/opencode-1.18.33-after-api-error.txt", "idle"),  # was "working" forever
    ("opencode", "opencode/opencode-1.18.33-after-reject.txt", "idle"),
    ("opencode", "opencode/opencode-1.18.33-200x50-ready.txt", "ready"),  # cockpit's pane size
    ("opencode", "opencode/opencode-1.18.33-200x50-working.txt", "working"),
    ("opencode", "opencode/opencode-1.18.33-200x50-after-api-error.txt", "idle"),
    ("aider", "aider/aider-0.86.2-ready.txt", "ready"),
    ("aider", "aider/aider-0.86.2-working.txt", "working"),
    ("aider", "aider/aider-0.86.2-permission.txt", "waiting"),  # Create new file? (Y)es/(N)o
    ("aider", "aider/aider-0.86.2-after-turn.txt", "ready"),
    ("aider", "aider/aider-0.86.2-after-api-error.txt", "ready"),
]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("aider/after-first-enter.txt", "Login to OpenRouter or create a free account? (Y)es/(N)o [Yes]:"),
        ("aider/first-screen.txt", None),
        ("aider/aider-0.86.2-permission.txt", None),
    ],
)
def test_aider_refuses_the_openrouter_browser_login_and_nothing_else(path: str, expected: str | None) -> None:
    assert CATALOG.get("aider").patterns.refused_line(screen(path)) == expected


@pytest.mark.parametrize(("provider", "path", "expected"), CAPTURED, ids=[row[1] for row in CAPTURED])
def test_default_patterns_classify_captured_screens(provider: str, path: str, expected: str | None) -> None:
    assert CATALOG.get(provider).patterns.classify(screen(path)) == expected


def test_every_screen_file_is_covered() -> None:
    on_disk = {str(p.relative_to(SCREENS)) for p in SCREENS.rglob("*.txt")}
    assert on_disk == {row[1] for row in CAPTURED}


@pytest.mark.parametrize(
    "path",
    ["claude/after-first-enter-onboarded.txt", "claude/v2.1.330/after-down-then-enter-onboarded.txt"],
)
def test_claude_main_box_is_ready_once_logged_in(path: str) -> None:
    patterns = CATALOG.get("claude").patterns
    text = screen(path)
    assert patterns.matches("ready", text)
    logged_in = text.replace("Not logged in · Run /login", "").replace("Not logged in · run /login", "")
    assert patterns.classify(logged_in) == "ready"


@pytest.mark.parametrize("path", ["claude/first-screen-onboarded.txt", "claude/v2.1.330/first-screen-onboarded.txt"])
def test_claude_trust_prompt_is_not_the_ready_input_box(path: str) -> None:
    # The trust menu also starts a line with "❯"; it must not look like the empty input box.
    assert not CATALOG.get("claude").patterns.matches("ready", screen(path))


def test_aider_question_stops_waiting_once_answered() -> None:
    patterns = CATALOG.get("aider").patterns
    answered = screen("aider/first-screen.txt").rstrip() + "\nAdded .aider* to .gitignore\n"
    assert patterns.classify(answered) is None
    assert patterns.classify(answered + "> \n\n") == "ready"


def test_gemini_screen_with_ansi_matches_only_after_stripping() -> None:
    raw = screen("gemini/first-screen-ansi.txt")
    assert "\x1b[" in raw
    assert "Do you trust the files in this folder?" in strip_ansi(raw)


@pytest.mark.parametrize(("provider", "path", "expected"), CAPTURED, ids=[row[1] for row in CAPTURED])
def test_no_other_provider_calls_a_captured_screen_ready(provider: str, path: str, expected: str | None) -> None:
    # Over-broad ready patterns would make cockpit type a prompt into the wrong screen.
    # The fake agent imitates aider's line prompt ("> " as the last line) on purpose.
    for other in CATALOG.names():
        if other != provider and not (other == "fake" and provider == "aider"):
            assert not CATALOG.get(other).patterns.matches("ready", screen(path)), other


def test_priority_is_waiting_working_idle_ready() -> None:
    patterns = ScreenPatterns(ready=["R"], working=["W"], waiting=["Q"], idle=["I"])
    assert patterns.classify("R I W Q") == "waiting"
    assert patterns.classify("R I W") == "working"
    assert patterns.classify("R I") == "idle"
    assert patterns.classify("R") == "ready"
    assert patterns.classify("nothing") is None


def test_patterns_search_line_by_line() -> None:
    patterns = ScreenPatterns(ready=["^> $"])
    assert patterns.classify("output\n> \nmore") == "ready"
    assert patterns.classify("output > ") is None


def test_blank_screen_matches_no_default_pattern() -> None:
    for name in CATALOG.names():
        assert CATALOG.get(name).patterns.classify("\n" * 40) is None, name


def test_codex_composer_redrawn_mid_turn_is_not_the_end_of_the_turn() -> None:
    # codex drops its "Working" line between streaming and a tool call; an older turn's
    # "Worked for" above a new prompt's echo must not read as the end of the new turn.
    patterns = CATALOG.get("codex").patterns
    lines = screen("codex-0.169.0-idle-after-turn.txt").rstrip("\n").splitlines()
    composer = max(i for i, line in enumerate(lines) if line.startswith("› Ask Codex"))
    mid_turn = "\n".join(lines[:composer] + ["› Second prompt", "", "• I will do it.", ""] + lines[composer:])
    assert patterns.classify(mid_turn) == "ready"
    assert patterns.classify("\n".join(lines)) == "idle"


# The catalog's answer keys against the captured prompts: each prompt type is recognised on
# its own screen only, and the keys are what was verified on the real TUI.
ANSWERS = [
    ("claude", "claude-2.1.197-trust.txt", "trust", ["Enter"], ["Escape"]),
    ("claude", "claude-2.1.197-permission-bash.txt", "permission", ["1"], ["3"]),
    ("claude", "claude-2.1.197-permission-write.txt", "permission", ["1"], ["3"]),
    ("claude", "claude-2.1.197-ready.txt", None, None, None),
    ("claude", "claude-2.1.197-refused.txt", None, None, None),
    ("claude", "claude/v2.1.330/first-screen-onboarded.txt", None, None, None),  # cursor on "No, exit"
    ("codex", "codex-0.169.0-permission.txt", "permission", ["y"], ["Escape"]),
    ("codex", "codex-0.169.0-trust.txt", "trust", ["Enter"], ["Escape"]),
    ("codex", "codex-0.169.0-ready.txt", None, None, None),
    ("codex", "codex-0.169.0-permission-denied.txt", None, None, None),
    ("gemini", "gemini-0.61.0-permission.txt", "permission", ["1"], ["Escape"]),
    ("gemini", "gemini-0.61.0-permission-edit.txt", "permission", ["1"], ["Escape"]),
    ("gemini", "gemini/first-screen.txt", "trust", ["1"], ["3"]),
    ("gemini", "gemini-0.61.0-idle-after-turn.txt", None, None, None),
]


@pytest.mark.parametrize(("provider", "path", "kind", "yes", "no"), ANSWERS, ids=[f"{r[0]}-{r[1]}" for r in ANSWERS])
def test_answer_keys_match_their_prompt(provider: str, path: str, kind: str | None, yes, no) -> None:
    found = CATALOG.get(provider).answer_for(screen(path))
    if kind is None:
        assert found is None
    else:
        assert found is not None and found[0] == kind
        assert (found[1].yes, found[1].no) == (yes, no)


def test_the_question_is_the_prompt_line_not_a_border() -> None:
    from cockpit.service.signals import question_line

    claude = CATALOG.get("claude")
    assert question_line(claude, screen("claude-2.1.197-permission-bash.txt")) == "Do you want to proceed?"
    assert question_line(claude, screen("claude-2.1.197-permission-write.txt")) == "Do you want to create hello.txt?"
