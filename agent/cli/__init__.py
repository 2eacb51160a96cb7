"""The `jaga` console script: one subcommand per module in this package.

Each module defines `register(subparsers)`, which adds its parser and sets `func` to a function
taking the parsed arguments and returning the exit status. Modules import their heavy dependencies
inside that function, so `jaga --help` stays fast on a Raspberry Pi.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from agent import __version__
from agent.errors import UsageError

# Order here is the order of `jaga --help`.
SUBCOMMAND_MODULES = (
    "run",
    "demo",
    "classify",
    "scan",
    "alerts",
    "notify",
    "rules",
    "eval",
    "train",
    "convert",
    "config",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaga",
        description="jaga watches over children's phones: it reads chat and web text passing a "
        "home router or Raspberry Pi, detects online grooming, and alerts the parents.",
    )
    parser.add_argument("--version", action="version", version=f"jaga {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(f"agent.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"agent.cli.{name}":
                continue  # not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from classifiers.normalize_data import NormalizerDataError

    try:
        return int(args.func(args) or 0)
    except UsageError as e:
        print(f"jaga {args.command}: {e}", file=sys.stderr)
        return e.exit_status
    except NormalizerDataError as e:  # a broken slang or lookalike table: a configuration error
        print(f"jaga {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
