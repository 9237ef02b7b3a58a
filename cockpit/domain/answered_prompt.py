"""A prompt answered on a worker's screen that the CLI has not taken down yet.

After `cockpit send ID --key y|n` (or the TUI's y / shift+y) the CLI takes the keys in,
may report the answer at once (opencode's `permission.replied` moves the worker to
`working`) and only then redraws: a screen captured in between still shows the answered
dialog. That screen is not a new prompt, so it must not record `waiting` again.

The answered question counts as still shown while a screen shows a waiting prompt with the
same question (its waiting excerpt). It is forgotten once a screen captured after the answer
shows anything else (the dialog was taken down, or a different question is asked), or when
the CLI's own signal reports a new prompt (the caller calls `forget`). Screens captured
before the answer say nothing about whether the dialog is gone, so they never forget it.
"""

from __future__ import annotations

from dataclasses import dataclass

# How long after an answer its screen is followed closely (checked again at once, not only when
# output arrives and at most every few tens of ms): the answer -> `working` clock of figure 7.
FOLLOW_S = 1.5


@dataclass
class AnsweredPrompt:
    question: str | None = None  # the waiting excerpt of the screen that was answered
    answered_at: float = 0.0  # monotonic seconds, taken just before the answer's keys were sent

    def answer(self, question: str, at: float) -> None:
        self.question, self.answered_at = question, at

    def forget(self) -> None:
        self.question = None

    def following(self, now: float) -> bool:
        """Whether the answered dialog has not been seen gone yet and the answer is recent:
        the screen is about to change, so it is checked again without the usual gap."""
        return self.question is not None and now - self.answered_at < FOLLOW_S

    def still_shown(self, kind: str | None, question: str, captured_at: float) -> bool:
        """Whether this screen (classified `kind`, with waiting excerpt `question`, captured at
        `captured_at`) still shows the answered prompt: then its `waiting` is not a new prompt."""
        if self.question is None:
            return False
        if kind == "waiting" and question == self.question:
            return True
        if captured_at >= self.answered_at:
            self.forget()  # the screen has moved on since the answer: the next prompt is new
        return False
