"""The test harness itself: real MySQL, real S3 over HTTP, and a clear failure when a server is missing."""

import csv
import io
from datetime import datetime

import pytest

from lab import processes
from tests.conftest import RUN_ID
from tests.services import ServiceMissing, database_servers, mysql_connect, throwaway_mysql_database

COURSE_NPS_DDL = """
CREATE TABLE {database}.nps (
    id INT NOT NULL AUTO_INCREMENT primary key,
    created_at timestamp,
    score smallint
)
"""


@pytest.fixture
def prod_database(mysql_url):
    """A throwaway MySQL database of its own: the shared `source_database` holds the seeded lessons' nps."""
    with throwaway_mysql_database(mysql_url, f"lab_test_{RUN_ID}_harness") as name:
        yield name


def test_prod_nps_round_trips_through_s3_as_csv(mysql_url, prod_database, s3, bucket):
    rows = [
        (datetime(2024, 1, 1, 9, 30), 9),
        (datetime(2024, 1, 1, 17, 5), 3),
        (datetime(2024, 1, 2, 8, 0), 10),
    ]
    with mysql_connect(mysql_url, prod_database, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(COURSE_NPS_DDL.format(database=prod_database))
        cur.executemany("INSERT INTO nps (created_at, score) VALUES (%s, %s)", rows)
        cur.execute("SELECT id, created_at, score FROM nps ORDER BY id")
        source = cur.fetchall()

    buffer = io.StringIO()
    csv.writer(buffer).writerows(source)
    s3.put_object(Bucket=bucket, Key="harness/nps.csv", Body=buffer.getvalue().encode())

    body = s3.get_object(Bucket=bucket, Key="harness/nps.csv")["Body"].read().decode()
    read_back = [
        (int(i), datetime.fromisoformat(ts), int(score)) for i, ts, score in csv.reader(io.StringIO(body))
    ]
    assert read_back == list(source)
    assert [row[0] for row in read_back] == [1, 2, 3]


def test_missing_mysql_fails_with_what_to_start(monkeypatch):
    closed_port = processes.free_port()
    monkeypatch.setenv("LAB_MYSQL_URL", f"mysql://root@127.0.0.1:{closed_port}")
    with pytest.raises(ServiceMissing) as failure, database_servers():
        pass
    message = str(failure.value)
    assert f"127.0.0.1:{closed_port}" in message
    assert "mariadbd" in message and "LAB_MYSQL_URL" in message
    assert "PostgreSQL does not answer" not in message


def test_missing_postgres_fails_with_what_to_start(monkeypatch):
    closed_port = processes.free_port()
    monkeypatch.setenv("LAB_POSTGRES_URL", f"postgresql://postgres@127.0.0.1:{closed_port}/postgres")
    with pytest.raises(ServiceMissing) as failure, database_servers():
        pass
    assert f"127.0.0.1:{closed_port}" in str(failure.value)
    assert "pg_ctlcluster" in str(failure.value)


def test_the_slow_tests_are_shared_out_by_folder():
    """tests/lanes.py: a folder's tests (one lab) stay together, whatever their parameters contain."""
    from tests.lanes import FolderScheduling

    scope = FolderScheduling._split_scope
    assert scope(None, "tests/compose/test_rehearsal.py::test_notebook_runs[09_catchup]") == "tests/compose"
    assert scope(None, "tests/notebooks/test_notebooks.py::test_x[a/b::c]") == "tests/notebooks"
    assert scope(None, "tests/test_cli.py::test_y") == "tests"
