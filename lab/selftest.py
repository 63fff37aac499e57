"""`lab test`: the whole test suite, lint included, exactly as CI runs it."""

from __future__ import annotations

import argparse
import subprocess
import sys

from lab.config import REPO_ROOT


def run_tests(args) -> int:
    ruff = [sys.executable, "-m", "ruff"]
    steps = [
        [*ruff, "check", "."],
        [*ruff, "format", "--check", "."],
        [sys.executable, "-m", "pytest", *args.pytest_args],
    ]
    for step in steps:
        print("+", " ".join(step[1:]), flush=True)
        code = subprocess.call(step, cwd=REPO_ROOT)
        if code:
            return code
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("test", help="run ruff and the whole test suite (what CI runs)")
    parser.add_argument(
        "pytest_args", nargs=argparse.REMAINDER, help="extra arguments for pytest, e.g. -k emulator"
    )
    parser.set_defaults(handler=run_tests)
