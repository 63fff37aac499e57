"""`lab test`: the whole test suite, lint included, exactly as CI runs it."""

from __future__ import annotations

import subprocess
import sys

from lab.config import REPO_ROOT


def run_tests(args) -> int:
    ruff = [sys.executable, "-m", "ruff"]
    steps = [
        # LocalStack, for the compose rehearsal (tests/compose): the tests' own, in a venv of its own.
        ["bash", "scripts/setup-localstack.sh"],
        # dbt-redshift and sqlalchemy-redshift, for the client tests (tests/clients): a venv of their own too.
        ["bash", "scripts/setup-clients.sh"],
        # Debian's Chromium and Noto CJK, for the screenshot script's test (tools/screenshots.py).
        ["bash", "scripts/setup-browser.sh"],
        [*ruff, "check", "."],
        [*ruff, "format", "--check", "."],
        # The slowest tests named at the end of every run, so that the next slowdown is seen.
        [sys.executable, "-m", "pytest", "--durations=20", *args.unknown_arguments],
    ]
    for step in steps:
        print("+", " ".join(step[1:] if step[0] == sys.executable else step), flush=True)
        code = subprocess.call(step, cwd=REPO_ROOT)
        if code:
            return code
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "test",
        help="run ruff and the whole test suite (what CI runs)",
        description="Any further arguments go to pytest, e.g. `lab test -k emulator --durations=20`.",
    )
    # Not an argparse.REMAINDER: argparse would refuse pytest's own options (-k, -x) before reaching it.
    parser.set_defaults(handler=run_tests, passes_unknown_arguments=True)
