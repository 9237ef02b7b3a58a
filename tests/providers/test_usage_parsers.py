"""Usage parsers on outputs observed from the real CLIs, plus the shapes they document."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from provider_helpers import output_lines

from cockpit.domain.provider import PriceTable
from cockpit.runtime.usage import JsonLines, Usage, apply_prices, parser_for, usd_to_micro


def feed_all(name: str, lines: list[str]) -> list[Usage]:
    parser = parser_for(name)
    return [u for u in (parser.feed(line) for line in lines) if u is not None]


@pytest.mark.parametrize(
    "path",
    [
        "claude/observed-nocreds-print-stream-json.txt",
        "claude/observed-nocreds-print-json.txt",
        "claude/v2.1.330/observed-nocreds-print-stream-json.txt",
        "claude/v2.1.330/observed-nocreds-print-json.txt",
    ],
)
def test_claude_observed_result_is_an_error_despite_subtype_success(path: str) -> None:
    lines = output_lines(path)
    assert any('"subtype":"success"' in line and '"is_error":true' in line for line in lines)
    updates = feed_all("claude", lines)
    assert updates == [Usage(input_tokens=0, output_tokens=0, cost_micro_usd=0, is_error=True, final=True)]


def test_claude_only_the_result_event_counts() -> None:
    lines = output_lines("claude/observed-nocreds-print-stream-json.txt")
    parser = parser_for("claude")
    assert [parser.feed(line) is None for line in lines] == [True, True, False]  # init, assistant, result


def claude_result(**fields: object) -> str:
    event = {
        "type": "result",
        "subtype": "success",
        "is_error": False,
        "total_cost_usd": 0.0123455,
        "usage": {"input_tokens": 10, "cache_creation_input_tokens": 5, "cache_read_input_tokens": 100, "output_tokens": 42},
    }
    event.update(fields)
    return json.dumps(event)


def test_claude_counts_cached_input_and_rounds_cost_half_up() -> None:
    (usage,) = feed_all("claude", [claude_result()])
    assert usage == Usage(input_tokens=115, output_tokens=42, cost_micro_usd=12346, is_error=False, final=True)


def test_claude_line_with_terminal_noise_ansi_and_carriage_return() -> None:
    line = "\x1b[2K\r\x1b[32mnoise {not json} " + claude_result(is_error=True) + "\x1b[0m\r"
    (usage,) = feed_all("claude", [line])
    assert usage.is_error is True and usage.output_tokens == 42


def test_claude_repeated_identical_result_is_not_a_change() -> None:
    assert len(feed_all("claude", [claude_result(), claude_result()])) == 1


def test_fake_parser_reads_the_fake_agent_result_line() -> None:
    line = (
        '{"type":"result","subtype":"error_during_execution","is_error":true,"duration_ms":3,"num_turns":1,'
        '"result":"boom","session_id":"s","total_cost_usd":0.25,"usage":{"input_tokens":10,"output_tokens":5},'
        '"exit_code":1,"prompt_sha256":"' + "0" * 64 + '"}'
    )
    assert feed_all("fake", [line]) == [Usage(10, 5, 250_000, True, True)]


def test_codex_observed_run_without_credentials_reports_nothing() -> None:
    lines = output_lines("codex/observed-nocreds-exec-json.txt")
    assert any('"type":"error"' in line for line in lines)
    assert feed_all("codex", lines) == []


def test_codex_sums_turns_and_tolerates_unknown_events() -> None:
    lines = [
        '{"type":"thread.started","thread_id":"t"}',
        '{"type":"turn.started"}',
        '{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"hi"}}',
        '{"type":"turn.completed","usage":{"input_tokens":1000,"cached_input_tokens":800,"output_tokens":50}}',
        '{"type":"something.new","usage":{"input_tokens":999999}}',
        '{"type":"turn.completed","usage":{"input_tokens":200,"cached_input_tokens":0,"output_tokens":7}}',
    ]
    updates = feed_all("codex", lines)
    assert updates[-1] == Usage(input_tokens=1200, output_tokens=57, cost_micro_usd=None, is_error=False, final=True)
    assert len(updates) == 2


def test_codex_failed_turn_is_an_error() -> None:
    updates = feed_all("codex", ['{"type":"turn.failed","error":{"message":"stream disconnected"}}'])
    assert updates == [Usage(is_error=True, final=True)]


def test_gemini_observed_error_json_on_stderr_is_multi_line() -> None:
    lines = output_lines("gemini/observed-nocreds-prompt-json.txt", stream="stderr")
    assert lines[0] == "{" and len(lines) > 3
    assert feed_all("gemini", lines) == [Usage(is_error=True, final=True)]


def test_gemini_stream_json_plain_error_message_is_not_usage() -> None:
    lines = output_lines("gemini/observed-nocreds-prompt-stream-json.txt", stream="stderr")
    assert feed_all("gemini", lines) == []


def test_gemini_json_sums_models_and_counts_thoughts_as_output() -> None:
    document = {
        "response": "done",
        "stats": {
            "models": {
                "gemini-2.5-pro": {
                    "api": {"totalRequests": 2},
                    "tokens": {"prompt": 24939, "candidates": 20, "total": 25113, "cached": 21263, "thoughts": 154, "tool": 0},
                },
                "gemini-2.5-flash": {"tokens": {"input": 100, "output": 3}},
            },
            "tools": {"totalCalls": 1},
        },
    }
    lines = json.dumps(document, indent=2).splitlines()
    assert feed_all("gemini", lines) == [Usage(25039, 177, None, False, True)]


def test_gemini_stream_json_result_event() -> None:
    lines = [
        '{"type":"init","session_id":"s","model":"auto"}',
        '{"type":"message","role":"assistant","content":"hi","delta":true}',
        '{"type":"error","severity":"warning","message":"retrying"}',
        '{"type":"result","status":"success","stats":{"total_tokens":30,"input_tokens":20,"output_tokens":10,"duration_ms":5}}',
    ]
    assert feed_all("gemini", lines) == [Usage(20, 10, None, False, True)]
    failed = '{"type":"result","status":"error","error":{"type":"x","message":"y"},"stats":{"input_tokens":1}}'
    assert feed_all("gemini", [failed]) == [Usage(1, 0, None, True, True)]


def test_gemini_061_result_with_flat_per_model_stats() -> None:
    # gemini 0.61 against the scripted model service (the router model's usage is zero)
    line = (
        '{"type":"result","status":"success","stats":{"total_tokens":333,"input_tokens":276,"output_tokens":57,'
        '"cached":0,"input":276,"duration_ms":989,"tool_calls":1,"models":{"gemini-3.5-flash-lite":{"total_tokens":0,'
        '"input_tokens":0,"output_tokens":0,"cached":0,"input":0},"gemini-3.8-flash":{"total_tokens":333,'
        '"input_tokens":276,"output_tokens":57,"cached":0,"input":276}}}}'
    )
    assert feed_all("gemini", [line]) == [Usage(276, 57, None, False, True)]
    per_model_only = {
        "stats": {"models": {"a": {"input_tokens": 5, "output_tokens": 2}, "b": {"input_tokens": 1, "output_tokens": 1}}}
    }
    assert feed_all("gemini", [json.dumps(per_model_only)]) == [Usage(6, 3, None, False, True)]


def test_none_parser_never_reports() -> None:
    assert feed_all("none", [claude_result(), "{}", "text"]) == []


def test_unknown_parser_name_is_refused() -> None:
    with pytest.raises(ValueError, match="no usage parser called 'nope'"):
        parser_for("nope")


def test_json_lines_recovers_from_a_stray_open_brace() -> None:
    reader = JsonLines()
    assert reader.feed("{") is None
    assert reader.feed("some text") is None
    assert reader.feed('{"type":"result","is_error":false}') == {"type": "result", "is_error": False}
    assert reader.feed('  {"a": 1}  trailing') == {"a": 1}
    assert reader.feed("[1, 2]") is None and reader.feed("") is None


def test_parsers_keep_separate_state() -> None:
    first, second = parser_for("codex"), parser_for("codex")
    first.feed('{"type":"turn.completed","usage":{"input_tokens":5,"output_tokens":1}}')
    update = second.feed('{"type":"turn.completed","usage":{"input_tokens":1,"output_tokens":1}}')
    assert update is not None and update.input_tokens == 1


def test_returned_usage_is_a_copy() -> None:
    parser = parser_for("codex")
    update = parser.feed('{"type":"turn.completed","usage":{"input_tokens":5,"output_tokens":1}}')
    assert update is not None
    update.input_tokens = 10**9
    again = parser.feed('{"type":"turn.completed","usage":{"input_tokens":5,"output_tokens":1}}')
    assert again is not None and again.input_tokens == 10


def test_usd_to_micro_rounds_half_up_with_decimal_math() -> None:
    assert usd_to_micro(0.0000005) == 1  # banker's rounding would give 0
    assert usd_to_micro(0.0000025) == 3  # and 2 here
    assert usd_to_micro("1.2345674") == 1234567
    assert usd_to_micro(0) == 0
    assert [usd_to_micro(v) for v in (None, True, -1, "abc", float("nan"), [1])] == [None] * 6


def test_apply_prices_fills_only_a_missing_cost() -> None:
    prices = PriceTable(input_per_mtok_usd=Decimal("3"), output_per_mtok_usd=Decimal("15"))
    assert apply_prices(Usage(1000, 200), prices).cost_micro_usd == 6000
    assert apply_prices(Usage(1000, 200, cost_micro_usd=7), prices).cost_micro_usd == 7
    assert apply_prices(Usage(1000, 200), None).cost_micro_usd is None


def test_apply_prices_rounds_half_up() -> None:
    half = PriceTable(input_per_mtok_usd=Decimal("0.5"), output_per_mtok_usd=Decimal("2.5"))
    assert apply_prices(Usage(1, 0), half).cost_micro_usd == 1
    assert apply_prices(Usage(0, 1), half).cost_micro_usd == 3
    assert apply_prices(Usage(3, 0), half).cost_micro_usd == 2  # 1.5 -> 2
    tiny = PriceTable(input_per_mtok_usd=Decimal("0.1"), output_per_mtok_usd=Decimal("0.2"))
    assert apply_prices(Usage(4, 1), tiny).cost_micro_usd == 1  # 0.4 + 0.2 = 0.6 -> 1, summed before rounding
