"""A remote worker's process tree: found, signalled and killed on the host in one call each.

The tree is the pane's process, everything in its session, and every descendant of either
(a child that called setsid still descends from the pane). `ps -A -o …` is POSIX, so this
needs nothing on the host beyond its shell and ps.
"""

from __future__ import annotations

from cockpit.runtime.proctree import ProcInfo, TreeKill, TreeSignal
from cockpit.runtime.ssh import SshLink

# Prints "pid ppid pgid sid stat comm" for every process of the tree rooted at pane pid $1.
_TREE = r"""tree() {
  ps -A -o pid= -o ppid= -o pgid= -o sid= -o stat= -o comm= | awk -v r="$1" '
    { pid[NR]=$1; pp[NR]=$2; sid[NR]=$4; line[NR]=$0 }
    END { t[r]=1; do { c=0; for (i=1;i<=NR;i++) if (!(pid[i] in t) && ((pp[i] in t) || sid[i]==r)) { t[pid[i]]=1; c=1 } } while (c)
          for (i=1;i<=NR;i++) if (pid[i] in t) print line[i] }'
}
"""


def parse_ps(text: str) -> list[ProcInfo]:
    found = []
    for line in text.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 6 or not all(p.isdigit() for p in parts[:4]):
            continue
        pid, ppid, pgid, sid = (int(p) for p in parts[:4])
        found.append(ProcInfo(pid=pid, ppid=ppid, pgid=pgid, sid=sid, start=0, state=parts[4][:1], comm=parts[5].strip()))
    return found


def remote_tree(link: SshLink, pane_pid: int) -> list[ProcInfo]:
    result = link.run(_TREE + f"tree {int(pane_pid)}", timeout=30)
    return parse_ps(result.stdout)


def remote_signal(link: SshLink, pids: list[int], sig: int) -> list[int]:
    """Send `sig` to each pid; the pids it reached."""
    if not pids:
        return []
    script = "".join(f"kill -{int(sig)} {int(p)} 2>/dev/null && echo {int(p)}\n" for p in pids)
    result = link.run(script + "true", timeout=30)
    return [int(w) for w in result.stdout.split() if w.isdigit()]


def remote_kill_tree(link: SshLink, pane_pid: int | None, grace_s: float) -> TreeKill:
    """SIGTERM the tree, SIGKILL what is left after `grace_s`, then list survivors: one call."""
    if pane_pid is None:
        return TreeKill(grace_s=grace_s)
    tenths = max(1, int(grace_s * 10))
    script = _TREE + (
        f'found=$(tree {int(pane_pid)}); echo "$found"; echo --term\n'
        "pids=$(echo \"$found\" | awk '{print $1}')\n"
        # A paused worker hears SIGTERM only once continued.
        "for p in $pids; do kill -TERM $p 2>/dev/null && echo $p; kill -CONT $p 2>/dev/null; done; echo --kill\n"
        f'i=0; while [ $i -lt {tenths} ]; do left=; for p in $pids; do kill -0 $p 2>/dev/null && left="$left $p"; done\n'
        '  [ -z "$left" ] && break; sleep 0.1; i=$((i+1)); done\n'
        "for p in $pids; do kill -0 $p 2>/dev/null && kill -KILL $p 2>/dev/null && echo $p; done; echo --left\n"
        "sleep 0.2; for p in $pids; do ps -o pid= -o ppid= -o pgid= -o sid= -o stat= -o comm= -p $p 2>/dev/null | awk '$5 !~ /^Z/'; done\n"
    )
    result = link.run(script, timeout=grace_s + 60)
    found_text, _, rest = result.stdout.partition("--term\n")
    termed_text, _, rest = rest.partition("--kill\n")
    killed_text, _, left_text = rest.partition("--left\n")
    found = parse_ps(found_text)
    termed = {int(w) for w in termed_text.split() if w.isdigit()}
    killed = {int(w) for w in killed_text.split() if w.isdigit()}
    ended_by = {p.pid: "SIGKILL" if p.pid in killed else "SIGTERM" if p.pid in termed else "already gone" for p in found}
    return TreeKill(found=found, ended_by=ended_by, survivors=parse_ps(left_text), grace_s=grace_s)


def remote_stop_or_continue(link: SshLink, pane_pid: int, action: str, settle_s: float = 2.0) -> TreeSignal:
    """SIGSTOP (action "stop") or SIGCONT ("continue") the worker's processes on the host: its
    tree but the pane's own process (the run script's shell, which tmux would continue at
    once), twice (a child forked meanwhile), then check with ps that each obeyed. One call."""
    want = "T" if action == "stop" else "R"
    sig = "STOP" if action == "stop" else "CONT"
    tenths = max(1, int(settle_s * 10))
    script = _TREE + (
        f"pane={int(pane_pid)}; done=' '\n"
        "for pass in 1 2; do\n"
        f"  for p in $(tree $pane | awk -v pane=$pane '$1 != pane && $5 !~ /^[ZX]/ {{print $1}}'); do\n"
        f'    case "$done" in *" $p "*) ;; *) kill -{sig} $p 2>/dev/null && done="$done$p " ;; esac\n'
        "  done\n"
        "done\n"
        # Settled: stopped (T) for a pause, anything but T for a resume; a process gone counts as settled.
        "state() { ps -o stat= -p $1 2>/dev/null | cut -c1; }\n"
        f'i=0; while [ $i -lt {tenths} ]; do left=; for p in $done; do s=$(state $p); [ -z "$s" ] && continue; '
        f'if [ "{want}" = T ]; then [ "$s" = T ] || left="$left $p"; else [ "$s" = T ] && left="$left $p"; fi; done\n'
        '  [ -z "$left" ] && break; sleep 0.1; i=$((i+1)); done\n'
        "tree $pane | awk -v pane=$pane '$1 != pane'; echo --left; echo $left; echo --done; echo $done\n"
    )
    result = link.run(script, timeout=settle_s + 60)
    listing, _, rest = result.stdout.partition("--left\n")
    left_text, _, done_text = rest.partition("--done\n")
    procs = {p.pid: p for p in parse_ps(listing)}
    left = {int(w) for w in left_text.split() if w.isdigit()}
    signalled = [int(w) for w in done_text.split() if w.isdigit()]
    known = [procs.get(pid) or ProcInfo(pid=pid, ppid=0, pgid=0, sid=0, start=0, state="?", comm="?") for pid in signalled]
    return TreeSignal(action, done=[p for p in known if p.pid not in left], failed=[p for p in known if p.pid in left])
