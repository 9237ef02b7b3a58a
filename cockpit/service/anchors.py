"""Finding the ledger's anchors (commit trailers, checkpoint files) and writing signed checkpoints."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cockpit.domain import anchors as fmt
from cockpit.errors import CheckFailed, CockpitError, UsageError
from cockpit.ledger import Anchor
from cockpit.ledger.files import LedgerPaths, read_head
from cockpit.runtime import ssh_sign


def origin(ws: Any) -> str:
    return fmt.origin_of(str(Path(ws.repo.common_dir).resolve()))


def trailer_anchors(git: Any) -> list[Anchor]:
    """Every `Cockpit-Ledger:` trailer in the history of every ref (refs/cockpit/* included), one per (seq, hash)."""
    code, out, _ = git.try_git("log", "--all", "--format=%H%x00%B%x00", "--grep=^Cockpit-Ledger: ")
    if code != 0:  # a repository without commits has no history to search
        return []
    found: dict[tuple[int, str], Anchor] = {}
    fields = str(out).split("\x00")
    for commit, message in zip(fields[0::2], fields[1::2], strict=False):
        commit = commit.strip()
        for match in fmt.TRAILER_RE.finditer(message):
            key = (int(match.group(1)), match.group(2))
            found.setdefault(key, Anchor(f"commit {commit[:12]} ({fmt.TRAILER_KEY} trailer)", *key))
    return list(found.values())


def checkpoint_anchor(path: Path, ws: Any, allowed_signers: Path | None) -> tuple[Anchor, str]:
    """The anchor a checkpoint file holds, after checking its signature and that it is this repository's."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the checkpoint {path}: {exc.strerror}") from None
    checkpoint, body, signature = fmt.parse(raw, f"checkpoint {path}")
    signer = ssh_sign.check(body, signature, f"checkpoint {path}", allowed_signers)
    if checkpoint.origin != origin(ws):
        raise CheckFailed(f"checkpoint {path} is for {checkpoint.origin}, not this repository ({origin(ws)})")
    return Anchor(f"checkpoint {path} (signed by {signer})", checkpoint.seq, checkpoint.hash), signer


def make_checkpoint(ws: Any, key: Path | None, *, seq: int, digest: str) -> bytes:
    """A signed checkpoint of record `seq` (hash `digest`) of this repository's ledger."""
    key = Path(key).expanduser() if key is not None else ssh_sign.default_key()
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    checkpoint = fmt.Checkpoint(origin(ws), seq, digest, now)
    return fmt.render(checkpoint, ssh_sign.sign(checkpoint.body(), key))


def write_atomically(path: Path, data: bytes) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".checkpoint-", dir=path.parent if str(path.parent) else ".")
    try:
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.chmod(tmp, 0o644)  # a checkpoint is public: it holds no secret, only a hash and a signature
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def head_anchor_point(ws: Any) -> tuple[int, str]:
    """(seq, hash) the head vouches for: what a periodic checkpoint signs without re-reading the ledger."""
    _, head = read_head(LedgerPaths(ws.state.ledger_dir))
    return (head.seq, head.hash) if head else (0, "0" * 64)


def configured_checkpoint(ws: Any, config: Any) -> Path | None:
    """The file the supervisor keeps signing when `checkpoints:` is configured."""
    settings = getattr(config, "checkpoints", None)
    return None if settings is None else Path(settings.dir).expanduser() / f"{ws.state.root.name}.checkpoint"


async def sign_periodically(ws: Any, config: Any) -> None:
    """Every `every_s`, sign a checkpoint of the head if it moved (the newest covers every record before it)."""
    settings, path = config.checkpoints, configured_checkpoint(ws, config)
    if path is None:  # started only when `checkpoints:` is configured
        return
    signed = None
    while True:
        await asyncio.sleep(settings.every_s)
        seq, digest = head_anchor_point(ws)
        if not seq or (seq, digest) == signed:
            continue
        try:
            data = await asyncio.to_thread(make_checkpoint, ws, settings.key, seq=seq, digest=digest)
            path.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(write_atomically, path, data)
            signed = (seq, digest)
        except (CockpitError, OSError) as exc:  # a missing key or directory must not stop the supervisor
            logging.getLogger("cockpit.supervisor").warning("could not write the checkpoint %s: %s", path, exc)
