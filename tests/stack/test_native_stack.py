"""The native lab end to end: `lab up`, a DAG run through Airflow's REST API, `lab status`, `lab reset`,
`lab down`, each run as a learner runs it, on an isolated lab (tests/stack/conftest.py)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import psutil
import pytest

from lab import airflow, processes
from lab.config import load_settings
from lab.sandbox import lab
from lab.stack import PIECES
from tests.services import mysql_connect, postgres_connect
from tests.stack.conftest import AWS_SECRET

pytestmark = pytest.mark.slow

DAG_ID = "MySQL_to_Redshift"


def recorded_processes(env) -> dict[str, psutil.Process]:
    """What `lab up` recorded under LAB_STATE_DIR/run, each with its start time checked."""
    found = {}
    for path in (Path(env["LAB_STATE_DIR"]) / "run").glob("*.json"):
        record = json.loads(path.read_text())
        process = psutil.Process(record["pid"])
        assert process.create_time() == pytest.approx(record["create_time"], abs=0.01)
        found[path.stem] = process
    return found


def source_rows(settings) -> list[tuple]:
    with mysql_connect(str(settings.mysql), settings.mysql.database) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, created_at, score FROM nps ORDER BY id")
        return [tuple(row) for row in cur.fetchall()]


def warehouse_rows(settings) -> list[tuple]:
    conn = postgres_connect(str(settings.postgres.with_database(settings.redshift.database)))
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT id, created_at, score FROM {settings.warehouse_schema}.nps ORDER BY id")
            return [tuple(row) for row in cur.fetchall()]
    finally:
        conn.close()


def bucket_keys(settings) -> list[str]:
    s3 = settings.s3_client()
    return [item["Key"] for item in s3.list_objects_v2(Bucket=settings.bucket).get("Contents", [])]


def assert_secret_masked_in_logs(state_dir: Path) -> None:
    """The task log shows the COPY the hook ran with the AWS secret masked, and the secret is in no log:
    not in the scheduler's, which repeats every task's lines (LocalExecutor), nor in `lab up`'s own."""
    airflow_logs = state_dir / "airflow" / "logs"
    copies = [path for path in airflow_logs.glob("dag_id=*/**/*.log") if "COPY " in path.read_text()]
    assert len(copies) == 1, copies
    assert "aws_secret_access_key=***" in copies[0].read_text()
    scheduler_log = (airflow_logs / "scheduler.log").read_text()
    assert "aws_secret_access_key=***" in scheduler_log
    logs = [*airflow_logs.rglob("*.log"), *(state_dir / "logs").glob("*.log")]
    assert [path for path in logs if AWS_SECRET in path.read_text(errors="replace")] == []


def test_up_run_a_dag_reset_and_down(stack_env):
    up = lab(stack_env, "up")
    assert up.returncode == 0, f"lab up failed:\n{up.stdout}\n{up.stderr}"
    settings = load_settings(stack_env)
    for piece in PIECES.values():
        assert piece.describe(settings) in up.stdout, f"lab up does not say where {piece.name} is"
    started = recorded_processes(stack_env)
    assert set(started) == set(PIECES)
    first_source = source_rows(settings)
    assert len(first_source) > 1000, "lab init seeds prod.nps"
    assert warehouse_rows(settings) == []

    again = lab(stack_env, "up")
    assert again.returncode == 0, again.stderr
    assert all(
        f"{name}: already running (pid {process.pid})" in again.stdout for name, process in started.items()
    )
    assert recorded_processes(stack_env) == started

    client = airflow.Client(
        f"http://127.0.0.1:{settings.airflow_port}", airflow.ADMIN_USER, airflow.ADMIN_PASSWORD
    )
    client.wait_for_dag(DAG_ID)
    client.set_paused(DAG_ID, False)
    run = client.wait_for_run(DAG_ID, client.trigger(DAG_ID, date(2024, 1, 1)))
    assert run["state"] == "success", run
    assert warehouse_rows(settings) == first_source
    assert bucket_keys(settings)
    assert_secret_masked_in_logs(Path(stack_env["LAB_STATE_DIR"]))
    # As on Redshift, the lab's warehouse login lists the course's primary key but does not enforce it.
    redshift = postgres_connect(str(settings.redshift))
    with redshift, redshift.cursor() as cur:
        cur.execute(
            f"INSERT INTO {settings.warehouse_schema}.nps SELECT * FROM {settings.warehouse_schema}.nps"
        )
        assert cur.rowcount == len(first_source)
        cur.execute(
            "SELECT count(*) FROM information_schema.table_constraints WHERE constraint_type = 'PRIMARY KEY'"
        )
        assert cur.fetchone()[0] >= 2
    redshift.close()

    status = lab(stack_env, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    lines = {line.split()[0]: line.split()[1] for line in status.stdout.splitlines()}
    assert lines == dict.fromkeys(["mysql", "postgres", *PIECES], "up")

    # A learner's own changes, which a reset must undo.
    with (
        mysql_connect(str(settings.mysql), settings.mysql.database, autocommit=True) as conn,
        conn.cursor() as cur,
    ):
        cur.execute("DELETE FROM nps WHERE id <= 10")
    reset = lab(stack_env, "reset")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert source_rows(settings) == first_source
    assert warehouse_rows(settings) == []
    assert bucket_keys(settings) == []
    assert client.runs(DAG_ID) == []

    tree = [member for process in started.values() for member in [process, *process.children(recursive=True)]]
    down = lab(stack_env, "down")
    assert down.returncode == 0, down.stderr
    assert not [process for process in tree if processes.running(process)]
    ports = [piece.port(settings) for piece in PIECES.values()]
    assert [port for port in ports if processes.port_answers("127.0.0.1", port)] == []
    assert recorded_processes(stack_env) == {}

    status = lab(stack_env, "status")
    assert status.returncode == 1
    assert "DOWN" in status.stdout
