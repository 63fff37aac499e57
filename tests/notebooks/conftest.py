"""An isolated lab for the notebooks (lab.sandbox), started with `lab up` as a learner starts one.

Its state lives in a temporary folder, every piece listens on a free port, and its databases, Redshift login
and bucket are throwaway names of this run, removed at the end. The source is re-seeded small
(SEED_DAYS days of SEED_ROWS_PER_DAY rows), so that each notebook runs in well under 3 minutes.
"""

from __future__ import annotations

import pytest

from lab import sandbox
from tests.conftest import RUN_ID

SEED_DAYS = 2
SEED_ROWS_PER_DAY = 100


def lab(env: dict[str, str], *args: str) -> None:
    """`lab ARGS` in the sandbox; fails the test with the command's output if it fails."""
    result = sandbox.lab(env, *args)
    assert result.returncode == 0, f"lab {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="session")
def notebook_lab(tmp_path_factory, mysql_url, postgres_url) -> dict[str, str]:
    """The LAB_* variables of a running isolated lab with a small seeded source."""
    env = sandbox.environment(
        f"lab_test_{RUN_ID}_nb", tmp_path_factory.mktemp("lab-state"), mysql_url, postgres_url
    )
    try:
        lab(env, "up")
        lab(env, "seed", "source", "--days", str(SEED_DAYS), "--rows-per-day", str(SEED_ROWS_PER_DAY))
        yield env
    finally:
        sandbox.remove(env)
