"""The interactive `> ` input line as a pure state machine over raw terminal bytes.

Feed it whatever the terminal delivered, in chunks of any size, and `step()`
returns what to echo and, when one happened, the event that ends the line.
Inside a bracketed paste (ESC[200~ ... ESC[201~) every byte is prompt content,
CR and LF included, so a pasted prompt arrives byte for byte.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

PASTE_START = b"\x1b[200~"
PASTE_END = b"\x1b[201~"
_ESC, _CR, _LF, _CTRL_C, _CTRL_D, _BACKSPACE, _DELETE = 0x1B, 0x0D, 0x0A, 0x03, 0x04, 0x08, 0x7F
_TYPED_RUN = re.compile(rb"[\t\x20-\x7e\x80-\xff]+")
_CSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]")
_CSI_UNFINISHED = re.compile(rb"\x1b\[[0-?]*[ -/]*\Z")
_ECHO_NEWLINE = re.compile(rb"\r\n|\r|\n")
_ECHO_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")


class LineEnd(enum.Enum):
    INTERRUPT = "ctrl-c"
    END_OF_INPUT = "ctrl-d"


@dataclass(frozen=True)
class Submitted:
    prompt: bytes  # exactly the bytes between the prompt's start and Enter


EditorEvent = Submitted | LineEnd


def echo_bytes(content: bytes) -> bytes:
    """How content is shown: one newline per CR, LF or CRLF; other control bytes as ^X (never raw escapes)."""
    lines = _ECHO_NEWLINE.sub(b"\n", content)  # the tty turns "\n" into CRLF (OPOST stays on)
    return _ECHO_CONTROL.sub(lambda match: b"^" + bytes([match.group()[0] ^ 0x40]), lines)


def _unfinished_marker_length(buffer: bytearray, marker: bytes) -> int:
    """How many trailing bytes of `buffer` could be the start of `marker`."""
    for length in range(min(len(marker) - 1, len(buffer)), 0, -1):
        if buffer.endswith(marker[:length]):
            return length
    return 0


class PromptEditor:
    def __init__(self) -> None:
        # Public: `@fake ask` in interactive mode takes its key from the same bytes.
        self.pending = bytearray()
        self._prompt = bytearray()
        self._in_paste = False
        self._after_cr = False  # an LF right after a submitting CR is part of the same Enter

    def feed(self, data: bytes) -> None:
        self.pending += data

    def step(self) -> tuple[bytes, EditorEvent | None]:
        """Consume pending bytes up to the next event (or until more input is needed)."""
        echo = bytearray()
        while self.pending:
            if self._in_paste:
                if not self._take_paste(echo):
                    break
                continue
            byte = self.pending[0]
            if byte == _ESC:
                if not self._take_escape():
                    break
                continue
            after_cr, self._after_cr = self._after_cr, False
            if byte in (_CR, _LF):
                del self.pending[0]
                if byte == _LF and after_cr:
                    continue
                self._after_cr = byte == _CR
                prompt = bytes(self._prompt)
                self._prompt.clear()
                return bytes(echo), Submitted(prompt)
            if byte == _CTRL_C:
                del self.pending[0]
                return bytes(echo), LineEnd.INTERRUPT
            if byte == _CTRL_D and not self._prompt:
                del self.pending[0]
                return bytes(echo), LineEnd.END_OF_INPUT
            if byte in (_BACKSPACE, _DELETE):
                del self.pending[0]
                if self._erase_last_character():
                    echo += b"\b \b"
                continue
            typed = _TYPED_RUN.match(self.pending)
            if typed is None:
                del self.pending[0]  # a control key with no meaning here
                continue
            self._prompt += typed.group()
            echo += typed.group()
            del self.pending[: typed.end()]
        return bytes(echo), None

    def _take_paste(self, echo: bytearray) -> bool:
        """Move pasted content into the prompt; False when the rest may be a split end marker."""
        end = self.pending.find(PASTE_END)
        if end >= 0:
            content = bytes(self.pending[:end])
            del self.pending[: end + len(PASTE_END)]
            self._in_paste = False
        else:
            keep = _unfinished_marker_length(self.pending, PASTE_END)
            content = bytes(self.pending[: len(self.pending) - keep])
            del self.pending[: len(content)]
        self._prompt += content
        echo += echo_bytes(content)
        return not self.pending or not self._in_paste

    def _take_escape(self) -> bool:
        """Handle an escape sequence at the front; False when it is not complete yet."""
        self._after_cr = False
        head = bytes(self.pending[: len(PASTE_START)])
        if head == PASTE_START:
            del self.pending[: len(PASTE_START)]
            self._in_paste = True
            return True
        if PASTE_START.startswith(head):
            return False
        csi = _CSI.match(self.pending)
        if csi is not None:  # arrow keys, focus events...: not prompt content
            del self.pending[: csi.end()]
            return True
        if _CSI_UNFINISHED.match(self.pending):
            return False
        length = 3 if self.pending[1] == ord("O") else 2  # SS3 keys (ESC O x) or Alt+key
        if len(self.pending) < length:
            return False
        del self.pending[:length]
        return True

    def _erase_last_character(self) -> bool:
        """Drop the last UTF-8 character (its continuation bytes too)."""
        if not self._prompt:
            return False
        end = len(self._prompt) - 1
        while end > 0 and 0x80 <= self._prompt[end] < 0xC0:
            end -= 1
        del self._prompt[end:]
        return True
