"""The `pintrk-harness` command: one subcommand per module in harness.commands."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from harness import __version__
from harness.commands import check, decode, expect, proxy, watch

# Each command module offers add_parser(subparsers) and run(args) -> exit status.
COMMANDS = [check, decode, expect, proxy, watch]

USAGE_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pintrk-harness",
        description="Check that a Segment + Pinterest tag setup sends Pinterest the right events.",
    )
    parser.add_argument("--version", action="version", version=f"pintrk-harness {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return USAGE_ERROR
    if sys.stdout is None:
        # Started with standard output closed (`>&-`): nowhere to write the report.
        if sys.stderr is not None:
            print(f"pintrk-harness {args.command}: standard output is closed; redirect it to a file", file=sys.stderr)
        return USAGE_ERROR
    try:
        return args.run(args)
    except BrokenPipeError:
        # The reader stopped early (as `| head` does); Python would otherwise report it at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as error:
        # Most often the output cannot be written (a full disk, `> /dev/full`).
        where = f" ({error.filename})" if error.filename else ""
        print(f"pintrk-harness {args.command}: {error.strerror or error}{where}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
