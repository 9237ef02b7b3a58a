"""The baseline appender: a locked, fsynced, hash-chained NDJSON log written the way peers write one.

Each append opens the file, takes an exclusive flock, reads the file to find the
last record (its hash and seq), hashes the new record over the previous hash,
writes one line, fsyncs, and closes. That is correct (one lock, one fsync, a
cumulative chain) but pays a full read per append, as peers' journals do.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def peer_append(path: Path, kind: str, actor: str, data: dict[str, Any]) -> str:
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.seek(0)
        lines = handle.read().splitlines()
        last = json.loads(lines[-1]) if lines else None
        prev = last["hash"] if last else GENESIS
        body = {
            "seq": (last["seq"] + 1) if last else 1,
            "kind": kind,
            "actor": actor,
            "data": data,
            "prev": prev,
            "ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256((prev + canonical).encode()).hexdigest()
        handle.write(
            (json.dumps({**body, "hash": digest}, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        )
        handle.flush()
        os.fsync(handle.fileno())
        return digest


def check_chain(path: Path) -> int:
    """Records in a peer log, after checking seq and prev links (raises on a fork)."""
    prev, seq = GENESIS, 0
    for line in path.read_bytes().splitlines():
        record = json.loads(line)
        if record["prev"] != prev or record["seq"] != seq + 1:
            raise AssertionError(f"the peer log forked at seq {record['seq']}")
        prev, seq = record["hash"], record["seq"]
    return seq


if __name__ == "__main__":  # python -m benchmarks.peer_ledger FILE NAME COUNT (waits for a line on stdin)
    target, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(count):
        peer_append(target, "note", name, {"i": i, "w": name})
