"""`lab test`: the whole test suite, lint included, exactly as CI runs it."""

from __future__ import annotations

import subprocess
import sys

from lab.config import REPO_ROOT

# pytest's exit code when a step's selection is empty (`lab test -k dbt` has no quick test): not a failure.
NO_TESTS_COLLECTED = 5


def run_tests(args) -> int:
    ruff = [sys.executable, "-m", "ruff"]
    pytest = [sys.executable, "-m", "pytest", "-n", "2"]  # two workers: this project's machines have 2 cores
    by_folder = ["-p", "tests.lanes", "--dist", "loadscope", "--no-loadscope-reorder"]
    steps = [
        # LocalStack, for the compose rehearsal (tests/compose): the tests' own, in a venv of its own.
        ["bash", "scripts/setup-localstack.sh"],
        # dbt-redshift and sqlalchemy-redshift, for the client tests (tests/clients): a venv of their own too.
        ["bash", "scripts/setup-clients.sh"],
        # Debian's Chromium and Noto CJK, for the screenshot script's test (tools/screenshots.py).
        ["bash", "scripts/setup-browser.sh"],
        [*ruff, "check", "."],
        [*ruff, "format", "--check", "."],
        # The quick tests first, so that a broken unit is seen within a minute, before any lab starts.
        [*pytest, "-m", "not slow", *args.unknown_arguments],
        # Then the whole labs, each test folder (and so each lab) in one worker (tests/lanes.py), and the
        # slowest tests named at the end, so that the next slowdown is seen.
        [*pytest, *by_folder, "-m", "slow", "--durations=20", *args.unknown_arguments],
    ]
    for step in steps:
        print("+", " ".join(step[1:] if step[0] == sys.executable else step), flush=True)
        code = subprocess.call(step, cwd=REPO_ROOT)
        if code and not (step[:3] == pytest[:3] and code == NO_TESTS_COLLECTED):
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
