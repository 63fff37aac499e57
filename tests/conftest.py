"""Real services for every test: MySQL, PostgreSQL, an S3 server over HTTP, and the Redshift emulator.

Each test session works in its own throwaway MySQL database, PostgreSQL database and bucket, and
drops them at the end, so two runs on one machine never see each other's data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from lab import processes
from lab.config import PROFILE_DEFAULTS, DatabaseUrl
from tests.services import ServiceMissing, database_servers, postgres_connect, throwaway_mysql_database

RUN_ID = uuid.uuid4().hex[:8]  # one per pytest process: each xdist worker has its own databases and logs
TEST_LOG_DIR = Path(__file__).resolve().parent.parent / ".lab" / "test-logs" / RUN_ID
LAB_DEFAULTS = PROFILE_DEFAULTS["lab"]
LANE = pytest.StashKey[str | None]()
AWS_TEST_KEYS = {
    "aws_access_key_id": LAB_DEFAULTS["LAB_AWS_ACCESS_KEY_ID"],
    "aws_secret_access_key": LAB_DEFAULTS["LAB_AWS_SECRET_ACCESS_KEY"],
    "region_name": LAB_DEFAULTS["LAB_AWS_REGION"],
}


@pytest.fixture(scope="session")
def servers():
    try:
        with database_servers() as urls:
            yield urls
    except ServiceMissing as missing:
        # One clear message and a failed run, rather than the same traceback under every test.
        pytest.exit(str(missing), returncode=1)


@pytest.fixture(scope="session")
def mysql_url(servers) -> str:
    return servers[0]


@pytest.fixture(scope="session")
def postgres_url(servers) -> str:
    return servers[1]


@pytest.fixture(scope="session")
def source_database(mysql_url) -> str:
    """A throwaway MySQL database standing in for the course's `prod`."""
    with throwaway_mysql_database(mysql_url, f"lab_test_{RUN_ID}_prod") as name:
        yield name


@pytest.fixture(scope="session")
def warehouse_database(postgres_url) -> str:
    """A throwaway PostgreSQL database: the storage behind the Redshift emulator."""
    name = f"lab_test_{RUN_ID}_dev"
    conn = postgres_connect(postgres_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    yield name
    conn = postgres_connect(postgres_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.fixture(scope="session")
def warehouse_url(postgres_url, warehouse_database) -> str:
    """URL of the throwaway warehouse database, straight to PostgreSQL (no emulator)."""
    return str(DatabaseUrl.parse(postgres_url, 5432).with_database(warehouse_database))


@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    """A real S3-compatible server over HTTP: moto_server on a free port (or LAB_S3_ENDPOINT)."""
    import os

    if endpoint := os.environ.get("LAB_S3_ENDPOINT"):
        yield endpoint
        return
    port = processes.free_port()
    server = processes.start_moto(port, TEST_LOG_DIR / "moto.log")
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def s3(s3_endpoint):
    """A boto3 S3 client talking to the test S3 server."""
    return boto3.client("s3", endpoint_url=s3_endpoint, **AWS_TEST_KEYS)


@pytest.fixture(scope="session")
def bucket(s3) -> str:
    """A throwaway bucket, emptied and deleted at the end of the session."""
    name = f"lab-test-{RUN_ID}"
    s3.create_bucket(Bucket=name)
    yield name
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=name):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@dataclass(frozen=True)
class Emulator:
    """Where the test Redshift emulator listens, and the login that reaches the warehouse database."""

    host: str
    port: int
    user: str
    password: str
    database: str
    process: processes.ManagedProcess
    data_api_url: str  # the Redshift Data API the emulator serves beside its wire port

    @property
    def url(self) -> str:
        return str(DatabaseUrl("postgresql", self.user, self.password, self.host, self.port, self.database))


@pytest.fixture(scope="session")
def redshift_emulator(postgres_url, warehouse_database, s3_endpoint) -> Emulator:
    """The Redshift emulator on a free port, in front of the throwaway warehouse database."""
    upstream = DatabaseUrl.parse(postgres_url, 5432).with_database(warehouse_database)
    port, data_api_port = processes.free_port(), processes.free_port()
    process = processes.start_redshift_emulator(
        port,
        str(upstream),
        s3_endpoint,
        TEST_LOG_DIR / "redshift-emulator.log",
        env={
            "AWS_ACCESS_KEY_ID": AWS_TEST_KEYS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": AWS_TEST_KEYS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": AWS_TEST_KEYS["region_name"],
        },
        data_api=(data_api_port, str(upstream)),
    )
    data_api_url = f"http://127.0.0.1:{data_api_port}"
    yield Emulator(
        "127.0.0.1", port, upstream.user, upstream.password, warehouse_database, process, data_api_url
    )
    process.stop()


@pytest.fixture(scope="session")
def lab_env(
    mysql_url, source_database, postgres_url, redshift_emulator, s3_endpoint, bucket
) -> dict[str, str]:
    """LAB_* variables that point the lab's configuration (and so Airflow, the CLI, the DAGs)
    at this session's throwaway services."""
    return {
        "LAB_MYSQL_URL": mysql_url,
        "LAB_SOURCE_DATABASE": source_database,
        "LAB_POSTGRES_URL": postgres_url,
        "LAB_REDSHIFT_URL": redshift_emulator.url,
        "LAB_REDSHIFT_DATA_URL": redshift_emulator.data_api_url,
        "LAB_S3_ENDPOINT": s3_endpoint,
        "LAB_S3_BUCKET": bucket,
        "LAB_AWS_ACCESS_KEY_ID": AWS_TEST_KEYS["aws_access_key_id"],
        "LAB_AWS_SECRET_ACCESS_KEY": AWS_TEST_KEYS["aws_secret_access_key"],
        "LAB_AWS_REGION": AWS_TEST_KEYS["region_name"],
    }


# The fixtures that start a whole lab, each with its lane, biggest first. `lab test` runs the slow tests in
# two pytest-xdist workers, a test folder in one worker (tests/lanes.py), so each lab starts once; they go
# out in this order, so that the two workers each start on a big lab and share out the rest.
LAB_FIXTURE_LANES = {
    "compose_stack": "compose",  # the compose rehearsal
    "notebook_lab": "notebooks",
    "airflow_lab": "airflow",  # Airflow on this session's services (tests/dags)
    "stack_env": "stack",  # `lab up` and `lab down` in a sandbox
}
LANE_ORDER = list(LAB_FIXTURE_LANES.values())


@pytest.hookimpl(tryfirst=True)  # before -m selects by the marks added here
def pytest_collection_modifyitems(items):
    """Quick tests first, so that a broken unit shows within the first minute; whole labs (slow) after.
    A test that uses a lab's fixture is slow and in that lab's lane. The sort is stable: each lane keeps its
    files' order, so module fixtures still start once."""
    for item in items:
        lane = next((lane for name, lane in LAB_FIXTURE_LANES.items() if name in item.fixturenames), None)
        if lane is not None:
            item.add_marker(pytest.mark.slow)
        item.stash[LANE] = lane

    def position(item) -> tuple[bool, int]:
        lane = item.stash[LANE]
        slow = item.get_closest_marker("slow") is not None
        return slow, LANE_ORDER.index(lane) if lane else len(LANE_ORDER)

    items.sort(key=position)
