"""Whether an answer still has somewhere to go.

A worker that asks the supervisor and then fills a widget can be answered after its screen
began to close (the app quits, or the screen was popped): Textual removes the screen's widgets
child first and cancels its workers only after that. Such an answer is for nobody: the worker
drops it instead of looking for widgets that are gone (`NoMatches` seen in CI from
`fetch_review`).
"""

from __future__ import annotations

from textual.dom import NoScreen
from textual.widget import Widget


def gone(node: Widget) -> bool:
    """True once the app is quitting, or `node`'s screen has left the screen stack (popped,
    being removed), or `node` is no longer in the DOM."""
    app = node.app
    if not app.is_running or not node.is_attached:
        return True
    try:
        screen = node.screen
    except NoScreen:  # not in a screen any more
        return True
    return screen not in app.screen_stack
