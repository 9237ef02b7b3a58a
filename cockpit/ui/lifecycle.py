"""Whether an answer still has somewhere to go.

A worker that asks the supervisor and then fills a widget can be answered after the app has
begun to quit (its widgets are removed child first, its workers cancelled only after) or after
its screen was closed. Such an answer is for nobody: the worker drops it instead of looking for
widgets that are gone (`NoMatches` seen in CI from `fetch_review`).
"""

from __future__ import annotations

from textual.message_pump import MessagePump


def gone(node: MessagePump) -> bool:
    """True once the app is quitting or `node` has left the screen."""
    return not node.app.is_running or not node.is_attached
