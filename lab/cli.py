"""`lab`: the lab's command line. Each subcommand lives in the module that does its job."""

from __future__ import annotations

import argparse
import importlib
import sys

from lab.errors import UsageError

# Each module defines register(subparsers), which adds its subcommands and sets `handler`.
COMMAND_MODULES = ("lab.selftest", "seed.commands", "lab.stack", "lab.check", "lab.airflow")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lab", description="Run the MySQL -> S3 -> Redshift lab.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "passes_unknown_arguments", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.unknown_arguments = unknown
    try:
        return args.handler(args) or 0
    except UsageError as error:
        print(f"lab {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
