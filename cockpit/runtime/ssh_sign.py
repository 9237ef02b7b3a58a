"""Signing and checking checkpoints with the user's own SSH key, through `ssh-keygen -Y` (no key management of ours)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cockpit.domain.anchors import NAMESPACE
from cockpit.errors import CheckFailed, UsageError

DEFAULT_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa")


def default_key(home: Path | None = None) -> Path:
    ssh = (home or Path.home()) / ".ssh"
    for name in DEFAULT_KEYS:
        if (ssh / name).is_file():
            return ssh / name
    raise UsageError(
        f"no SSH key to sign with: none of {', '.join(str(ssh / n) for n in DEFAULT_KEYS)} exists",
        hint="give one with --key PATH (or make one: ssh-keygen -t ed25519)",
    )


def _ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise UsageError("ssh-keygen is not installed; it signs and checks checkpoints", hint="install OpenSSH (8.2 or later)")
    return found


def sign(body: bytes, key: Path) -> bytes:
    """The armored SSH signature of `body` in the cockpit-ledger namespace."""
    if not key.is_file():
        raise UsageError(f"the SSH key {key} does not exist", hint="give an existing private key with --key PATH")
    proc = subprocess.run(
        [_ssh_keygen(), "-q", "-Y", "sign", "-f", str(key), "-n", NAMESPACE], input=body, capture_output=True, timeout=120
    )
    if proc.returncode != 0 or b"BEGIN SSH SIGNATURE" not in proc.stdout:
        last = (proc.stderr.decode(errors="replace").strip().splitlines() or ["no signature written"])[-1]
        raise UsageError(
            f"ssh-keygen could not sign with {key}: {last}",
            hint="a key with a passphrase needs ssh-agent holding it (pass the .pub with --key)",
        )
    return proc.stdout


def check(body: bytes, signature: bytes, where: str, allowed_signers: Path | None) -> str:
    """Check the signature; return who signed (a principal, or the key when no signers file is given)."""
    keygen = _ssh_keygen()
    with tempfile.TemporaryDirectory(prefix="cockpit-ckpt-") as scratch:
        sig = Path(scratch) / "checkpoint.sig"
        sig.write_bytes(signature)
        if allowed_signers is None:
            proc = subprocess.run(
                [keygen, "-Y", "check-novalidate", "-n", NAMESPACE, "-s", str(sig)], input=body, capture_output=True, timeout=60
            )
            if proc.returncode != 0:
                raise CheckFailed(f"{where}: the signature does not match its content ({_last(proc)})")
            return _last(proc).replace('Good "cockpit-ledger" signature with ', "")
        if not allowed_signers.is_file():
            raise UsageError(f"the allowed-signers file {allowed_signers} does not exist")
        found = subprocess.run(
            [keygen, "-Y", "find-principals", "-s", str(sig), "-f", str(allowed_signers)], capture_output=True, timeout=60
        )
        principals = found.stdout.decode(errors="replace").split()
        if found.returncode != 0 or not principals:
            raise CheckFailed(f"{where}: signed by a key that {allowed_signers} does not list")
        proc = subprocess.run(
            [keygen, "-Y", "verify", "-f", str(allowed_signers), "-I", principals[0], "-n", NAMESPACE, "-s", str(sig)],
            input=body,
            capture_output=True,
            timeout=60,
            env={**os.environ, "LC_ALL": "C"},
        )
        if proc.returncode != 0:
            raise CheckFailed(f"{where}: the signature does not verify ({_last(proc)})")
        return principals[0]


def _last(proc: subprocess.CompletedProcess) -> str:
    text = (proc.stdout + proc.stderr).decode(errors="replace").strip()
    return text.splitlines()[-1] if text else f"exit {proc.returncode}"
