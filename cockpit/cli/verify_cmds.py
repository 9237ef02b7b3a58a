"""`cockpit providers verify [NAME...]`: the conformance scenario against the CLIs installed here.

Offline: each CLI runs against cockpit's scripted model service with a private HOME,
through the real supervisor and tmux, in a throwaway repository. One row per CLI, mode
and signal with ✓/✗ and why; exit 1 naming the failed signals, exit 2 for a name that is
not in the catalog, has no offline profile, or whose binary is not installed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cockpit.errors import CheckFailed, UsageError


def add_verify(providers_parser: argparse.ArgumentParser) -> None:
    sub = providers_parser.add_subparsers(dest="providers_command", metavar="verify")
    p = sub.add_parser("verify", help="run the offline conformance scenario against installed agent CLIs")
    p.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="providers to verify (default: every one with an offline profile whose binary is installed)",
    )
    p.add_argument("--mode", choices=["headless", "interactive"], help="only this mode (default: each it has)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(handler=cmd_verify)


def _targets(names: list[str]) -> list[tuple[str, Path, list[str]]]:
    from cockpit.modelservice.profiles import PROFILES
    from cockpit.runtime.providers import load_catalog, resolve_binary
    from cockpit.service.workspace import Workspace

    try:  # inside a repository its own catalog overrides count (a different binary, say)
        root = Workspace.open(create=False).repo.toplevel
    except UsageError:
        root = None
    catalog = load_catalog(root)
    targets = []
    for name in names or sorted(PROFILES):
        if name not in catalog.providers:
            raise UsageError(f"unknown provider {name!r}", hint=f"the catalog has: {', '.join(catalog.names())}")
        if name not in PROFILES:
            raise UsageError(
                f"provider {name} has no offline profile, so it cannot be verified",
                hint=f"verify knows: {', '.join(sorted(PROFILES))}",
            )
        provider = catalog.get(name)
        prefix = resolve_binary(provider)
        if prefix is None:
            if not names:
                continue  # verifying everything: skip what is not installed
            raise UsageError(
                f"provider {name}: `{provider.binary}` is not installed or not on PATH",
                hint=f"install it ({provider.install})" if provider.install else None,
            )
        targets.append((name, Path(prefix[0]), provider.modes))
    if not targets:
        raise UsageError("none of the CLIs that verify knows is installed", hint=f"install one of: {', '.join(sorted(PROFILES))}")
    return targets


def cmd_verify(args: argparse.Namespace) -> int:
    from cockpit.service.conformance import format_rows, results_json, verify

    results = []
    for name, binary, modes in _targets(args.names):
        for mode in [args.mode] if args.mode else modes:
            if args.mode and mode not in modes:
                raise UsageError(f"provider {name} has no {mode} mode")
            result = verify(name, mode, "happy", binary)
            results.append(result)
            if not args.json:
                print(format_rows([result]), flush=True)
    if args.json:
        print(results_json(results))
    failed = [f"{r.cli} {r.mode}: {', '.join(r.failed())}" for r in results if not r.ok]
    if failed:
        print(f"cockpit: verify failed: {'; '.join(failed)}", file=sys.stderr)
        return CheckFailed.exit_code
    return 0
