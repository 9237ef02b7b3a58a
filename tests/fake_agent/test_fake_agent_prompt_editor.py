"""The interactive input line as a pure state machine over terminal bytes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cockpit.fake_agent.prompt_editor import (
    PASTE_END,
    PASTE_START,
    EditorEvent,
    LineEnd,
    PromptEditor,
    Submitted,
    echo_bytes,
)


def events(*chunks: bytes) -> tuple[list[EditorEvent], bytes]:
    """Feed the chunks one by one; return every event and everything echoed."""
    editor = PromptEditor()
    found: list[EditorEvent] = []
    echoed = b""
    for chunk in chunks:
        editor.feed(chunk)
        while True:
            echo, event = editor.step()
            echoed += echo
            if event is None:
                break
            found.append(event)
    return found, echoed


def test_typed_text_is_submitted_by_cr_or_lf_and_crlf_counts_once() -> None:
    found, echoed = events(b"first\r\nsecond\nthird\r")
    assert found == [Submitted(b"first"), Submitted(b"second"), Submitted(b"third")]
    assert echoed == b"firstsecondthird"


def test_a_paste_keeps_every_byte_including_newlines_and_escapes() -> None:
    pasted = b"line one\r\nline two\rthree\n\x1b[31mred\x1b[0m \x7f\x03\x04 \xe2\x9c\x93"
    found, echoed = events(b"typed " + PASTE_START + pasted + PASTE_END + b" more\r")
    assert found == [Submitted(b"typed " + pasted + b" more")]
    assert b"\x1b" not in echoed  # pasted control bytes are shown as ^X, never replayed raw
    assert b"^[[31mred" in echoed


@given(
    st.binary(max_size=300).filter(lambda data: PASTE_END not in data),
    st.lists(st.integers(min_value=0, max_value=400), max_size=6),
)
def test_a_paste_survives_any_chunking(pasted: bytes, cuts: list[int]) -> None:
    stream = PASTE_START + pasted + PASTE_END + b"\r"
    bounds = sorted({min(cut, len(stream)) for cut in cuts} | {0, len(stream)})
    chunks = [stream[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]
    found, _ = events(*chunks)
    assert found == [Submitted(pasted)]


def test_backspace_removes_a_whole_utf8_character() -> None:
    found, echoed = events("ab✓".encode(), b"\x7f", b"c\x08d\r")
    assert found == [Submitted(b"abd")]
    assert echoed.count(b"\b \b") == 2


def test_backspace_on_an_empty_line_echoes_nothing() -> None:
    found, echoed = events(b"\x7f\x7fx\r")
    assert (found, echoed) == ([Submitted(b"x")], b"x")


def test_ctrl_c_interrupts_and_ctrl_d_ends_only_an_empty_line() -> None:
    assert events(b"abc\x03")[0] == [LineEnd.INTERRUPT]
    assert events(b"abc\x04\r")[0] == [Submitted(b"abc")]
    assert events(b"\x04")[0] == [LineEnd.END_OF_INPUT]


def test_cursor_keys_and_other_escape_sequences_are_not_content() -> None:
    found, _ = events(b"a\x1b[A\x1b[1;5C\x1bOPb\x1bxc", b"\x1b[", b"Dd\r")
    assert found == [Submitted(b"abcd")]


def test_bytes_after_a_submit_stay_pending_for_the_next_prompt() -> None:
    editor = PromptEditor()
    editor.feed(b"one\rtwo")
    assert editor.step() == (b"one", Submitted(b"one"))
    assert editor.pending == bytearray(b"two")


def test_echo_shows_newlines_and_control_bytes_safely() -> None:
    assert echo_bytes(b"a\r\nb\rc\nd\te\x1b[0m\x00") == b"a\nb\nc\nd\te^[[0m^@"
