#!/bin/sh
# cockpit's structured-signal hook (see docs/providers.md, "Signals"). A CLI runs it as
#   sh "$COCKPIT_SIGNAL_HOOK" EVENT    with the event's JSON on stdin;
# it appends {"source":"hook","event":EVENT,"payload":<that JSON>} as one line to
# $COCKPIT_SIGNALS, which the supervisor watches. Plain sh, no interpreter start-up:
# it runs on the CLI's hot path. It never fails the CLI's hook.
[ -n "$COCKPIT_SIGNALS" ] || exit 0
p=$(tr -d '\n')
[ -n "$p" ] || p='{}'
printf '{"source":"hook","event":"%s","payload":%s}\n' "$1" "$p" >> "$COCKPIT_SIGNALS"
exit 0
