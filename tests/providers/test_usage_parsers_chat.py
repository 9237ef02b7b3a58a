"""The aider and opencode usage parsers on outputs of the real CLIs run offline against the
scripted model service (tests/providers/outputs/<cli>/, issue 9)."""

from __future__ import annotations

import json

from provider_helpers import OUTPUTS

from cockpit.runtime.usage import Usage, parser_for


def lines(relative: str) -> list[str]:
    return (OUTPUTS / relative).read_text(encoding="utf-8").splitlines()


def last(name: str, feed: list[str]) -> Usage | None:
    parser = parser_for(name)
    found = None
    for line in feed:
        found = parser.feed(line) or found
    return found


def test_opencode_run_json_sums_both_steps_of_the_scripted_edit() -> None:
    # edit_with_permission: a write tool call (123 in, 45 out), then text (153 in, 12 out).
    usage = last("opencode", lines("opencode/opencode-1.18.33-run-json-edit.txt"))
    assert usage == Usage(input_tokens=123 + 153, output_tokens=45 + 12, cost_micro_usd=None, is_error=False, final=True)


def test_opencode_api_error_event_is_a_final_error() -> None:
    usage = last("opencode", lines("opencode/opencode-1.18.33-run-json-401.txt"))
    assert usage == Usage(input_tokens=0, output_tokens=0, is_error=True, final=True)


def test_opencode_counts_cache_and_reasoning_and_sums_cost() -> None:
    def step(reason: str, cost: float) -> str:
        return json.dumps(
            {
                "type": "step_finish",
                "part": {
                    "reason": reason,
                    "cost": cost,
                    "tokens": {"input": 10, "output": 5, "reasoning": 2, "cache": {"read": 100, "write": 7}},
                },
            }
        )

    parser = parser_for("opencode")
    first = parser.feed(step("tool-calls", 0.0012))
    assert first is not None and not first.final and first.cost_micro_usd == 1200
    second = parser.feed("\x1b[0m" + step("stop", 0.0003) + "\r")
    assert second == Usage(input_tokens=2 * 117, output_tokens=2 * 7, cost_micro_usd=1500, is_error=False, final=True)
    assert parser.feed(json.dumps({"type": "text", "part": {"text": "hi"}})) is None


def test_aider_reads_tokens_and_session_cost_from_its_report_line() -> None:
    usage = last("aider", lines("aider/aider-0.86.2-message-edit.txt"))
    # edit_with_permission's first turn: 123 in, 45 out; aider prints cost to 2 significant digits.
    assert usage == Usage(input_tokens=123, output_tokens=45, cost_micro_usd=1000)


def test_aider_auth_failure_reports_no_usage() -> None:
    assert last("aider", lines("aider/aider-0.86.2-message-401.txt")) is None


def test_aider_sums_messages_and_reads_rounded_thousands_and_cache_figures() -> None:
    parser = parser_for("aider")
    parser.feed("Tokens: 321 sent, 54 received. Cost: $0.0018 message, $0.0018 session.")
    usage = parser.feed("Tokens: 12k sent, 2.5k cache hit, 1.2k received. Cost: $0.05 message, $0.0518 session.")
    assert usage == Usage(input_tokens=321 + 12000, output_tokens=54 + 1200, cost_micro_usd=51800)
    assert parser.feed("Tokens: are a thing") is None


def test_the_last_error_line_of_each_cli_after_a_401() -> None:
    from cockpit.domain.screen_text import last_error_line

    assert (
        last_error_line((OUTPUTS / "aider/aider-0.86.2-message-401.txt").read_text())
        == "litellm.BadRequestError: OpenAIException - invalid x-api-key"
    )  # aider exits 0 all the same
    assert last_error_line((OUTPUTS / "opencode/opencode-1.18.33-run-json-401.txt").read_text()) == "invalid x-api-key"


def test_a_clean_exit_reports_an_error_only_among_its_last_lines(tmp_path) -> None:
    from cockpit.runtime.log_errors import last_error_of

    log = tmp_path / "w.log"
    # aider after a 401, as the tmux log has it: a spinner erased with backspaces, the error, a hint
    log.write_bytes(
        b"Aider v0.86.2\r\n\r\n\xe2\x96\x91\xe2\x96\x88\x08\x08  \x08\x08litellm.AuthenticationError: "
        b"AuthenticationError: OpenAIException - Incorrect API key provided\r\n"
        b"The API provider is not able to authenticate you. Check your API key.\r\n\r\n"
    )
    assert (
        last_error_of(log, final_only=True)
        == "litellm.AuthenticationError: AuthenticationError: OpenAIException - Incorrect API key provided"
    )
    log.write_text(
        "warning: could not read a file\nI will create hello.txt.\nhello.txt\nApplied edit to hello.txt\n"
        "Tokens: 321 sent, 54 received.\n"
    )
    assert last_error_of(log, final_only=True) is None  # an early warning is not why a clean run ended
    assert last_error_of(log) == "warning: could not read a file"


def test_a_clean_exit_ignores_prose_that_mentions_an_error(tmp_path) -> None:
    from cockpit.runtime.log_errors import last_error_of

    log = tmp_path / "w.log"
    log.write_text("error handling was improved\nDone.\n")
    assert last_error_of(log, final_only=True) is None
