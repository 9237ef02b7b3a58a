"""The pure part of review comments: anchors, hunks, resolution, the message."""

from __future__ import annotations

import pytest

from cockpit.domain.comments import compose_message, hunk_at, hunks_of, is_resolved, parse_anchor

PATCH = """diff --git a/a.py b/a.py
index 1111111..2222222 100644
--- a/a.py
+++ b/a.py
@@ -1,4 +1,5 @@
 one
-two
+TWO
+two and a half
 three
 four
@@ -10,2 +11,2 @@ def f():
 ten
-eleven
+ELEVEN
"""


def test_anchor_forms_and_refusals() -> None:
    assert parse_anchor("a.py:3") == ("a.py", 3, 3)
    assert parse_anchor("dir/b c.py:2-4") == ("dir/b c.py", 2, 4)
    for bad in ("a.py", "a.py:0", "a.py:4-2", ":3", "a.py:x"):
        with pytest.raises(ValueError):
            parse_anchor(bad)


def test_lines_are_new_side_lines_inside_one_hunk() -> None:
    hunks = hunks_of(PATCH)
    assert [h.new_start for h in hunks["a.py"]] == [1, 11]
    assert hunk_at(hunks, "a.py", 2, 3) is hunks["a.py"][0]
    assert hunk_at(hunks, "a.py", 1, 5) is hunks["a.py"][0]
    assert hunk_at(hunks, "a.py", 12, 12) is hunks["a.py"][1]
    assert hunk_at(hunks, "a.py", 6, 6) is None  # between the hunks
    assert hunk_at(hunks, "a.py", 5, 11) is None  # spans two hunks
    assert hunk_at(hunks, "b.py", 1, 1) is None


def test_a_comment_is_resolved_when_its_hunk_changes_not_when_it_moves() -> None:
    hunk = hunks_of(PATCH)["a.py"][1]
    comment = {"file": "a.py", "hunk": hunk.text}
    moved = PATCH.replace("@@ -10,2 +11,2 @@", "@@ -10,2 +15,2 @@")
    assert not is_resolved(comment, hunks_of(PATCH)) and not is_resolved(comment, hunks_of(moved))
    assert is_resolved(comment, hunks_of(PATCH.replace("+ELEVEN", "+Eleven")))
    assert is_resolved(comment, {})


def test_the_message_names_file_lines_hunk_and_text_of_each() -> None:
    hunk = hunks_of(PATCH)["a.py"][0]
    comments = [
        {"file": "a.py", "line_start": 2, "line_end": 3, "hunk": hunk.text, "text": "why two lines?"},
        {"file": "a.py", "line_start": 12, "line_end": 12, "hunk": "@@ x @@\n+ELEVEN", "text": "lower case"},
    ]
    message = compose_message(comments)
    assert message.startswith("The reviewer left 2 comments on your change.")
    assert "## Comment 1 of 2: a.py, lines 2-3\nThe hunk:\n```diff\n@@ -1,4 +1,5 @@\n one\n-two\n+TWO" in message
    assert "The comment:\nwhy two lines?" in message and "## Comment 2 of 2: a.py, line 12" in message
