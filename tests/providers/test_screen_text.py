"""The last error line and the waiting excerpt, on real captured CLI output and screens."""

from __future__ import annotations

from provider_helpers import OUTPUTS, screen

from cockpit.domain.screen_text import last_error_line, waiting_excerpt
from cockpit.runtime.providers import load_catalog

CATALOG = load_catalog(None)
BOX = set(chr(c) for c in range(0x2500, 0x2580))


def observed(relative: str) -> str:
    """An observed run's stdout then stderr, as a pane (and so the log) shows them."""
    text = (OUTPUTS / relative).read_text(encoding="utf-8")
    body = text.split("----- stdout -----\n", 1)[1]
    return body.replace("----- stderr -----\n", "")


def test_claude_not_logged_in_result_is_the_error() -> None:
    text = observed("claude/observed-nocreds-print-stream-json.txt")
    assert last_error_line(text) == "Not logged in · Please run /login"


def test_gemini_pretty_printed_json_error_gives_its_message() -> None:
    found = last_error_line(observed("gemini/observed-nocreds-prompt-json.txt"))
    assert found is not None and found.startswith("Please set an Auth method in your <home>/.gemini/settings.json")


def test_codex_reconnect_errors_give_the_last_line() -> None:
    found = last_error_line(observed("codex/observed-nocreds-exec-json.txt"))
    assert found is not None and "failed to connect to Responses WebSocket" in found


def test_error_lines_skip_prose_json_and_bare_exit_results_and_mask_secrets() -> None:
    text = "\n".join(
        [
            "Error: 401 Unauthorized (key sk-proj-abcdefghijklmnopqrstuvwxyz0123)",
            '{"type":"assistant","message":{"content":"error handling is fine"}}',
            '{"type":"result","is_error":true,"result":"exit 3"}',
            "│                                │",
        ]
    )
    assert last_error_line(text) == "Error: 401 Unauthorized (key ***)"
    assert last_error_line("all good\nDone.\n") is None
    assert last_error_line("x" * 50 + " error " + "y" * 500).endswith("…")


def test_gemini_trust_box_excerpt_is_the_question_and_its_choices() -> None:
    waiting = CATALOG.get("gemini").patterns.compiled("waiting")
    text = waiting_excerpt(screen("gemini/first-screen.txt"), waiting)
    assert text.splitlines() == [
        "Do you trust the files in this folder?",
        "● 1. Trust folder (project)",
        "2. Trust parent folder (workspace)",
        "3. Don't trust",
    ]
    auth = waiting_excerpt(screen("gemini/after-first-enter.txt"), waiting)
    assert auth.splitlines()[0] == "How would you like to authenticate for this project?"
    assert "● 1. Sign in with Google" in auth.splitlines()


def test_an_excerpt_is_never_just_a_border() -> None:
    boxed = "╭────╮\n│ Allow this edit? │\n│                  │\n╰────╯\n" + "│" + " " * 200 + "│\n"
    text = waiting_excerpt(boxed)
    assert text == "Allow this edit?"
    assert not BOX & set(text)
    claude = waiting_excerpt(screen("claude/first-screen-onboarded.txt"), CATALOG.get("claude").patterns.compiled("waiting"))
    assert claude and not BOX & set(claude) and claude.strip() not in ("│", "")


def test_a_line_based_cli_s_excerpt_is_its_latest_question() -> None:
    # aider keeps the question it already answered above the open one
    waiting = CATALOG.get("aider").patterns.compiled("waiting")
    text = waiting_excerpt(screen("aider/after-first-enter.txt"), waiting)
    assert text == "Login to OpenRouter or create a free account? (Y)es/(N)o [Yes]:"
