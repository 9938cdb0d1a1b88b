"""The command line: `flex-segments-dagster demo` and `flex-segments-dagster emulator`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import FlexInsightsConfigError


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    summary = run_demo(
        home=Path(args.home),
        reservations=args.reservations,
        seed=args.seed,
        batch_size=args.batch_size,
    )
    print(summary.render())
    return 0 if summary.ok else 1


def _emulator(args: argparse.Namespace) -> int:
    from .emulator import run_emulator

    run_emulator(
        host=args.host,
        port=args.port,
        reservations=args.reservations,
        seed=args.seed,
        latency=args.latency_ms / 1000,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, separate so tests can inspect it."""
    parser = argparse.ArgumentParser(
        prog="flex-segments-dagster", description="Twilio Flex Insights segments as partitioned Dagster assets."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="Run the whole flow against the bundled emulator: discover, batch, materialize, summarize."
    )
    demo.add_argument("--home", default="flex_segments_demo", help="DAGSTER_HOME for the demo (wiped first).")
    demo.add_argument("--reservations", type=int, default=40, help="Reservations the emulator serves.")
    demo.add_argument("--seed", type=int, default=7, help="Seed of the emulator's data.")
    demo.add_argument("--batch-size", type=int, default=10, help="Reservations per batch (partition).")
    demo.set_defaults(handler=_demo)

    emulator = commands.add_parser("emulator", help="Serve the Flex Insights and TaskRouter emulator until Ctrl-C.")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8787)
    emulator.add_argument("--reservations", type=int, default=40)
    emulator.add_argument("--seed", type=int, default=7)
    emulator.add_argument(
        "--latency-ms", type=float, default=0.0, help="Delay added to every response, to stand in for a network."
    )
    emulator.set_defaults(handler=_emulator)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the flex-segments-dagster command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except FlexInsightsConfigError as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
