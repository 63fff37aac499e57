"""A lab of its own, started with `lab up` as a learner starts one, that collides with nothing (lab.sandbox).

Its state (pids, logs, Airflow's home) lives in a temporary folder; every piece listens on a free port;
its MySQL database, PostgreSQL databases, Redshift login and bucket are throwaway names of this test run.
"""

from __future__ import annotations

import pytest

from lab import sandbox
from tests.conftest import RUN_ID

AWS_SECRET = f"lab-test-secret-{RUN_ID}"


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory, mysql_url, postgres_url) -> dict[str, str]:
    """The environment of an isolated lab; its processes, databases and login are removed at the end."""
    env = sandbox.environment(
        f"lab_test_{RUN_ID}_stack", tmp_path_factory.mktemp("lab-state"), mysql_url, postgres_url
    )
    # A secret long enough for Airflow to mask (4-character ones are not), unique to this run: a test
    # looks for it in the logs.
    env["LAB_AWS_SECRET_ACCESS_KEY"] = AWS_SECRET
    yield env
    sandbox.remove(env)
