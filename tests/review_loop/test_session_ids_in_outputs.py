"""The catalog's resume.session_keys find each CLI's session id in its real, captured output
(tests/providers/outputs/), and a new round's argv carries it where `{session_id}` stands."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.runtime.providers import load_catalog
from cockpit.runtime.rounds import can_resume, last_answer, last_session, resumed_provider

OUTPUTS = Path(__file__).resolve().parents[1] / "providers" / "outputs"
CASES = {
    "claude": ("claude/observed-nocreds-print-stream-json.txt", "3e660d06-ef16-4a30-a382-73ebb8a006a5"),
    "codex": ("codex/observed-nocreds-exec-json.txt", "01a1fdb4-026d-78a2-8d85-b42416d4fd0b"),
    "gemini": ("gemini/observed-nocreds-prompt-json.txt", "bded27d6-3173-41c3-bbf2-7a344cc937e7"),
    "opencode": ("opencode/opencode-1.18.33-run-json-edit.txt", "ses_ddf6adc57ffeNL07tYFnIBbcet"),
}


@pytest.mark.parametrize("cli", sorted(CASES))
def test_the_session_id_is_found_in_the_clis_own_output(cli: str, tmp_path: Path) -> None:
    provider = load_catalog(tmp_path).get(cli)
    assert provider.resume is not None
    name, expected = CASES[cli]
    seen = last_session(OUTPUTS / name, tmp_path / "no-signals", provider.resume.session_keys)
    assert seen is not None and (seen.session_id, seen.source) == (expected, "output")


def test_a_hook_payload_names_the_session_when_the_output_does_not(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("\x1b[2J❯ interactive screen output, no JSON here\n")
    signals = tmp_path / "signals"
    signals.write_text(
        '{"source": "hook", "event": "UserPromptSubmit", "payload": {"session_id": "s-1", "prompt": "x"}}\n'
        '{"source": "hook", "event": "Stop", "payload": {"session_id": "s-2"}}\n'
    )
    seen = last_session(log, signals, ["session_id"])
    assert seen is not None and (seen.session_id, seen.source) == ("s-2", "hook")


def test_the_last_answer_of_each_shape(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text(
        '{"type":"result","result":"first"}\n{"type":"item.completed","item":{"type":"agent_message","text":"codex says"}}\n'
    )
    assert last_answer(log) == "codex says"
    log.write_text('{"type":"text","part":{"type":"text","text":"opencode says"}}\n')
    assert last_answer(log) == "opencode says"
    log.write_text("plain output only\n")
    assert last_answer(log) is None


def test_resumed_args_put_the_id_in_place_and_keep_the_signal_wiring(tmp_path: Path) -> None:
    from cockpit.runtime.provider_launch import build_launch

    catalog = load_catalog(tmp_path)

    def installed(name: str):  # any binary will do: only the argv is looked at
        return catalog.get(name).model_copy(update={"binary": "/bin/true"})

    claude = installed("claude")
    assert not can_resume(claude, "headless", None)
    launch = build_launch(resumed_provider(claude, "headless", "abc"), "headless", "p", tmp_path / "p.txt")
    argv = launch.argv
    assert (
        argv[argv.index("--resume") + 1] == "abc" and "--settings" in argv and argv.index("--settings") > argv.index("--resume")
    )
    codex = build_launch(resumed_provider(installed("codex"), "headless", "t-1"), "headless", "p", tmp_path / "p.txt")
    at = codex.argv.index("t-1")  # the thread id, then "-" (the prompt on stdin); the notify wiring after
    assert codex.argv[1:4] == ["exec", "resume", "--json"] and codex.argv[at + 1] == "-"
    gemini = catalog.get("gemini")
    assert can_resume(gemini, "headless", None)  # "--resume latest" needs no id
    assert not can_resume(catalog.get("shell"), "headless", "x")
