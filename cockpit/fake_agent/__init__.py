"""cockpit-fake-agent: a stand-in for an AI coding CLI, so tests and demos need no model.

Starting it:
    cockpit-fake-agent -p TEXT      headless: run TEXT, print the result line, exit
    cockpit-fake-agent -p -         headless, the prompt read from stdin (exact bytes)
    cockpit-fake-agent              interactive: banner "cockpit fake agent ready", then a
                                    "> " line in a raw terminal with bracketed paste; typed or
                                    pasted text is the prompt, Enter submits it (inside a paste,
                                    CR and LF are content). Backspace edits, Ctrl-C exits 130,
                                    Ctrl-D on an empty line exits 0. After each prompt it prints
                                    "> " again and waits.
    --output-format, --verbose      accepted for claude-likeness, no effect; --version, --help.
    -r, --resume SESSION_ID         go on with an earlier session (both modes); its prompts are
                                    kept in $COCKPIT_FAKE_SESSIONS (default
                                    $XDG_STATE_HOME/cockpit-fake-agent/sessions); unknown: exit 1

A plain prompt (no "@fake" line) does something small and visible, a line of output per
step: it writes a file named after the prompt's first words (at most 4, lower case, joined
by "-", ".txt": "Add a greeting file" -> add-a-greeting-file.txt) holding the prompt, and
commits it ("fake agent: FIRST LINE"; outside a git repository it says so and goes on).
A plain prompt that is a cockpit review request (it holds a ```diff block) is answered as
"@fake review" would.

The prompt language: when any line's text (leading whitespace allowed) starts with
"@fake ", those lines are directives, obeyed in order, and other lines are ignored:
    @fake say TEXT          print TEXT
    @fake lines N [RATE]    print "line 1 of N" ... "line N of N", RATE lines/s (fractional ok)
    @fake write PATH TEXT   create or overwrite PATH (relative, inside the cwd) with TEXT,
                            UTF-8, no newline added; the two characters \\n in TEXT are a newline
    @fake append PATH TEXT  the same, appending
    @fake delete PATH       delete a file
    @fake commit MESSAGE    git add -A and git commit (a fallback identity only if git has none);
                            nothing to commit is fine
    @fake ask QUESTION      print "QUESTION [y/n] " and wait for one key on the terminal
                            (/dev/tty even when stdin is a pipe): y/Y goes on, n/N ends with
                            exit code 3, other keys are ignored
    @fake sleep SECONDS
    @fake hang              wait until killed (SIGTERM, SIGINT, SIGHUP end it by that signal)
    @fake usage IN OUT USD  add token usage and cost (summed over the prompt)
    @fake exit CODE         stop here and exit with CODE (0..255), interactive mode too
    @fake review [approve|reject]
                            answer a review gate: print "reading the diff: N file(s)", then a
                            verdict JSON for the diff in the prompt (its ```diff block): one
                            finding on the first changed file and its first added line,
                            advisory on approve (the default), blocking on reject; no
                            finding when the diff is empty

After the prompt it prints one compact JSON line shaped like claude's stream-json result:
type "result", subtype ("success" / "error_during_execution"), is_error, duration_ms,
num_turns, result (the last `say` text, "done", "exit N", "declined: Q" or the error),
session_id (one per process, or the resumed one), total_cost_usd, usage {input_tokens, output_tokens},
exit_code, and prompt_sha256: sha256 hex of the exact prompt bytes received.

Exit codes: 0 done; CODE from `@fake exit`; 1 a directive failed (result line printed);
2 bad prompt (or bad flags): the whole prompt is validated first, so nothing ran and no
result line is printed ("fake-agent: line N: ..." on stderr); 3 a question was answered n; 4 `@fake ask` had
no terminal; 130 Ctrl-C in interactive mode. Every code but 0 ends interactive mode too.
"""

from cockpit.fake_agent.cli import main

__all__ = ["main"]
