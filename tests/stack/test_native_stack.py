"""The native lab end to end: `lab up`, a DAG run through Airflow's REST API, `lab status`, `lab reset`,
`lab down`, each run as a learner runs it, on an isolated lab (tests/stack/conftest.py). Along the way: what
the lab listens on, and a task's log as the UI, the REST API and nb.task_log show it, running and finished."""

from __future__ import annotations

import json
import time
import urllib.request
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

from lab import airflow, airflow_client, listeners, notebook, processes
from lab.config import load_settings
from lab.pieces import PIECES
from lab.sandbox import lab
from tests.services import mysql_connect, postgres_connect
from tests.stack.conftest import AWS_SECRET

pytestmark = pytest.mark.slow

DAG_ID = "MySQL_to_Redshift"
COPY_TASK = "s3_to_redshift_nps"  # its first statement empties the warehouse table


def recorded_processes(env) -> dict[str, psutil.Process]:
    """What `lab up` recorded under LAB_STATE_DIR/run, each with its start time checked."""
    found = {}
    for path in (Path(env["LAB_STATE_DIR"]) / "run").glob("*.json"):
        record = json.loads(path.read_text())
        process = psutil.Process(record["pid"])
        assert process.create_time() == pytest.approx(record["create_time"], abs=0.01)
        found[path.stem] = process
    return found


def assert_listens_on_loopback_only(started: dict[str, psutil.Process], settings) -> None:
    """Each piece's process tree listens on its port (the emulator on two: wire and Data API), on
    127.0.0.1 (or ::1) only, and on nothing else, as README promises. A listener on any other address
    (Airflow's log server was one) fails, named."""
    found = {name: listeners.listening_sockets([process]) for name, process in started.items()}
    beyond = [f"{name}: {item}" for name, items in found.items() for item in listeners.exposed(items)]
    assert beyond == [], "listening beyond loopback:\n" + "\n".join(beyond)
    ports = {name: {item.port for item in items} for name, items in found.items()}
    expected = {piece.name: {piece.port(settings)} for piece in PIECES.values()}
    expected["redshift"].add(urlsplit(settings.redshift_data_url).port)  # the emulator's Data API beside it
    assert ports == expected, found


@contextmanager
def warehouse_table_locked(settings):
    """The warehouse table locked from PostgreSQL itself: the full refresh's COPY task waits, running, for
    the block to end. Tasks of the lab's DAGs run for a few seconds; this catches one running every time."""
    conn = postgres_connect(str(settings.postgres.with_database(settings.redshift.database)))
    try:
        with conn.cursor() as cur:
            cur.execute(f"LOCK TABLE {settings.warehouse_schema}.nps IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        conn.rollback()
        conn.close()


def events(lines) -> str:
    """A task log's text: Airflow 3 sends it as structured events."""
    return "\n".join(str(line.get("event", "")) for line in lines)


def ui_log(client: airflow_client.Client, path: str) -> str:
    """The task log as Airflow's UI fetches it: the REST API's endpoint, asking for NDJSON."""
    login = json.dumps({"username": airflow.ADMIN_USER, "password": airflow.ADMIN_PASSWORD}).encode()
    token_request = urllib.request.Request(
        f"{client.api_url}/auth/token", login, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(token_request, timeout=30) as response:
        token = json.load(response)["access_token"]
    log_request = urllib.request.Request(
        f"{client.api_url}/api/v2{path}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/x-ndjson"},
    )
    with urllib.request.urlopen(log_request, timeout=30) as response:
        return events(json.loads(line) for line in response.read().splitlines() if line)


def assert_task_log_shows(client: airflow_client.Client, run_id: str, state: str, text: str) -> None:
    """``text`` shows in COPY_TASK's log, read while the task is ``state``, through the REST API, the UI's
    request and nb.task_log. With no log server, the api-server reads the task's log file."""
    task = f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{COPY_TASK}"
    deadline = time.monotonic() + 120
    while True:
        try:
            rest = events(client.request("GET", f"{task}/logs/1")["content"])
        except airflow_client.AirflowError:  # the task instance does not exist yet
            rest = ""
        if text in rest or time.monotonic() > deadline:
            break
        time.sleep(1)
    views = {"REST API": rest, "UI": ui_log(client, f"{task}/logs/1")}
    views["nb.task_log"] = notebook.task_log(DAG_ID, run_id, COPY_TASK)
    assert [name for name, log in views.items() if text not in log] == [], views
    assert client.request("GET", task)["state"] == state, "read in another state"


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


def test_up_run_a_dag_reset_and_down(stack_env, monkeypatch):
    up = lab(stack_env, "up")
    assert up.returncode == 0, f"lab up failed:\n{up.stdout}\n{up.stderr}"
    settings = load_settings(stack_env)
    for name, value in stack_env.items():  # nb.* helpers read the lab's settings from the environment
        monkeypatch.setenv(name, value)
    for piece in PIECES.values():
        assert piece.describe(settings) in up.stdout, f"lab up does not say where {piece.name} is"
    started = recorded_processes(stack_env)
    assert set(started) == set(PIECES)
    assert_listens_on_loopback_only(started, settings)
    first_source = source_rows(settings)
    assert len(first_source) > 1000, "lab init seeds prod.nps"
    assert warehouse_rows(settings) == []

    again = lab(stack_env, "up")
    assert again.returncode == 0, again.stderr
    assert all(
        f"{name}: already running (pid {process.pid})" in again.stdout for name, process in started.items()
    )
    assert recorded_processes(stack_env) == started

    client = airflow_client.Client(
        f"http://127.0.0.1:{settings.airflow_port}", airflow.ADMIN_USER, airflow.ADMIN_PASSWORD
    )
    client.wait_for_dag(DAG_ID)
    client.set_paused(DAG_ID, False)
    with warehouse_table_locked(settings):
        run_id = client.trigger(DAG_ID, date(2024, 1, 1))
        assert_task_log_shows(client, run_id, "running", "Running statement: DELETE FROM")
    run = client.wait_for_run(DAG_ID, run_id)
    assert run["state"] == "success", run
    assert_task_log_shows(client, run_id, "success", "COPY command complete")
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

    # Two DAGs share the catch-up lesson's file: its parse asked for twice, before the dag-processor
    # takes the first request, is asked once (Airflow answers the second with HTTP 409).
    for dag_id in ("MySQL_to_Redshift_v2_catchup", "MySQL_to_Redshift_v2_no_catchup"):
        client.wait_for_dag(dag_id)
        client.reparse(dag_id)

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
