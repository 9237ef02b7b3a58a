"""`python -m cockpit.modelservice --scenario FILE|NAME [--port N]`: print the URL, serve until killed."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from cockpit.errors import CockpitError
from cockpit.modelservice.scenario import BUILTIN, load_scenario
from cockpit.modelservice.server import ModelService


async def _serve(service: ModelService, port: int) -> None:
    url = await service.start(port=port)
    print(url, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await service.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cockpit.modelservice")
    parser.add_argument("--scenario", required=True, help=f"a YAML/JSON file, or one of: {', '.join(BUILTIN)}")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        scenario = BUILTIN[args.scenario]() if args.scenario in BUILTIN else load_scenario(Path(args.scenario))
    except CockpitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        asyncio.run(_serve(ModelService(scenario), args.port))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
