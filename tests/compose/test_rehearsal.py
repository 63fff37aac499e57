"""`docker compose up` rehearsed (tests/compose/rehearsal.py): the compose file's services as hosts of their
own, then what a learner on Docker Desktop does: the notebooks in JupyterLab's container, the commands README
gives compose users, the UI and REST API on the published port, a restarted container, `init` run again.

The tests run in this order on one stack, as a learner's day goes.
"""

from __future__ import annotations

import asyncio
import urllib.request
from datetime import date

import psycopg2
import pymysql
import pytest

import lab_settings
from lab import airflow, airflow_client, listeners
from lab.config import load_settings
from tests.compose.conftest import DOTENV
from tests.notebooks.conftest import SEED_DAYS, SEED_ROWS_PER_DAY
from tests.notebooks.test_jupyter import typed_in_a_terminal
from tests.notebooks.test_notebooks import NOTEBOOKS

pytestmark = pytest.mark.slow

FULL_REFRESH = "MySQL_to_Redshift"


def lab(stack, *args: str, timeout: float = 600) -> str:
    """`docker compose exec jupyter lab ARGS`, as README tells compose users; fails the test if it fails."""
    result = stack.exec("jupyter", ["lab", *args], timeout=timeout)
    assert result.returncode == 0, f"lab {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def published_client(stack) -> airflow_client.Client:
    """Airflow's REST API where the learner's browser finds it: the machine's 127.0.0.1, published port."""
    port = stack.published("airflow", 8080)
    return airflow_client.Client(f"http://127.0.0.1:{port}", airflow.ADMIN_USER, airflow.ADMIN_PASSWORD)


def published_s3(stack):
    """A boto3 client of S3 on its published port."""
    return load_settings({"LAB_S3_ENDPOINT": f"http://127.0.0.1:{stack.published('s3', 4566)}"}).s3_client()


def source(stack, query: str):
    """One value from prod, through MySQL's published port."""
    port = stack.published("mysql", 3306)
    with (
        pymysql.connect(host="127.0.0.1", port=port, user="root", database="prod") as conn,
        conn.cursor() as cur,
    ):
        cur.execute(query)
        return cur.fetchone()[0]


def source_count(stack) -> int:
    return source(stack, "SELECT COUNT(*) FROM nps")


def warehouse_count(stack) -> int:
    port = stack.published("redshift", 5439)
    conn = psycopg2.connect(
        host="127.0.0.1",
        port=port,
        user="awsuser",
        password="Lab-Redshift-1",
        dbname="dev",
        connect_timeout=10,
    )
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM raw_data.nps")
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_services_start_in_compose_order(compose_stack):
    ready = compose_stack.ready_after
    assert ready["redshift"] > max(ready["postgres"], ready["s3"])
    assert ready["init"] > max(ready["mysql"], ready["redshift"])
    assert ready["jupyter"] > ready["airflow"] > ready["init"], "JupyterLab waits for Airflow's health"


def test_lab_status_inside_a_container_sees_every_service(compose_stack):
    status = lab(compose_stack, "status")
    lines = {line.split()[0]: line.split()[1] for line in status.splitlines() if not line.startswith(" ")}
    assert lines == dict.fromkeys(["mysql", "postgres", "s3", "redshift", "airflow", "jupyter"], "up"), status
    # The URLs printed are the learner's, on the machine: the published ports.
    assert f"http://127.0.0.1:{compose_stack.published('airflow', 8080)}" in status
    assert f"s3://{DOTENV['LAB_S3_BUCKET']}" in status, ".env's bucket reaches the containers"


def test_nothing_listens_beyond_what_compose_publishes(compose_stack):
    """Inside each host, a listener on any address but loopback must be a port compose publishes: nothing
    else of a container is reachable from its network (Airflow's log server was such a listener)."""
    beyond = []
    for name, member in compose_stack.running.items():
        if not member.running:
            continue
        published = {port.container_port for port in member.service.ports}
        found = listeners.listening_sockets([compose_stack.main_process(name)])
        beyond += [f"{name}: {item}" for item in listeners.exposed(found) if item.port not in published]
    assert beyond == [], "\n".join(beyond)


def test_the_published_ports_reach_the_services(compose_stack):
    client = published_client(compose_stack)
    assert client.request("GET", "/monitor/health")["metadatabase"]["status"] == "healthy"
    assert source_count(compose_stack) > 1000, "init seeds prod.nps"
    assert warehouse_count(compose_stack) == 0, "init creates the warehouse table empty"
    s3 = published_s3(compose_stack)
    assert DOTENV["LAB_S3_BUCKET"] in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]


def test_the_airflow_ui_answers_on_the_published_port(compose_stack):
    port = compose_stack.published("airflow", 8080)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
        page = response.read().decode()
    assert response.status == 200 and "<html" in page.lower()


def test_lab_answers_in_jupyterlabs_own_terminal_in_its_container(compose_stack):
    """JupyterLab's terminal, opened where the learner's browser finds JupyterLab (the published port)."""
    published = load_settings(
        {"LAB_JUPYTER_URL": f"http://127.0.0.1:{compose_stack.published('jupyter', 8888)}"}
    )
    printed = asyncio.run(typed_in_a_terminal(published, 'lab status; echo "[$?]""done"', "]done"))
    assert "[0]done" in printed and "redshift:5439" in printed, printed[-2000:]


def test_the_seed_commands_work_from_the_jupyter_container(compose_stack):
    lab(compose_stack, "seed", "source", "--days", str(SEED_DAYS), "--rows-per-day", str(SEED_ROWS_PER_DAY))
    assert source(compose_stack, "SELECT COUNT(DISTINCT DATE(created_at)) FROM nps") == SEED_DAYS


def test_airflows_command_line_runs_in_the_airflow_container(compose_stack):
    """`docker compose exec airflow lab airflow ...`: Airflow's CLI on the lab's metadata database (a bare
    `airflow` there would use the image's /opt/airflow and a SQLite database of its own)."""
    result = compose_stack.exec(
        "airflow", ["lab", "airflow", "dags", "list", "--output", "plain"], timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert FULL_REFRESH in result.stdout


# The notebooks run natively in full (tests/notebooks); here only those whose steps go through what compose
# wires differently, each for its reason. Notebooks 03 to 08 reach the same services the same ways as 02
# and 11 do (a run's tasks in the airflow container, the emulator's COPY and UNLOAD from its own).
IN_COMPOSE = {
    "01_tour": "every service by its compose name; `lab` and the connections from the jupyter container",
    "02_full_refresh": "`airflow dags test` in the jupyter container, the scheduler's run in the airflow one",
    "09_catchup": "the scheduler's own runs, made in the airflow container; a DAG file parsed again",
    "10_depends_on_past": "a failed day cleared from the jupyter container while the scheduler waits",
    "11_max_active_runs": "`airflow backfill create` in the jupyter container; its runs at once in airflow",
}
COMPOSE_NOTEBOOKS = [path for path in NOTEBOOKS if path.stem in IN_COMPOSE]


def test_every_notebook_named_for_compose_exists():
    assert sorted(path.stem for path in COMPOSE_NOTEBOOKS) == sorted(IN_COMPOSE)


@pytest.mark.parametrize("path", COMPOSE_NOTEBOOKS, ids=[path.stem for path in COMPOSE_NOTEBOOKS])
def test_notebook_runs_in_the_jupyter_container(compose_stack, path):
    result = compose_stack.exec(
        "jupyter", ["jupyter", "execute", "--timeout=300", f"/opt/lab/notebooks/{path.name}"], timeout=1800
    )
    assert result.returncode == 0, f"{path.name} failed in the jupyter container:\n{result.stderr[-6000:]}"


def test_a_lost_bucket_shows_in_status_and_a_restarted_s3_makes_it_again(compose_stack):
    """LocalStack keeps S3 in memory: a restart loses the bucket, and its ready hook makes it again."""
    s3 = published_s3(compose_stack)
    bucket = DOTENV["LAB_S3_BUCKET"]
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)
    lost = compose_stack.exec("jupyter", ["lab", "status", "s3"])
    assert lost.returncode == 1 and f"bucket s3://{bucket} is missing" in lost.stdout, lost.stdout
    compose_stack.restart("s3")
    status = lab(compose_stack, "status", "s3")
    assert status.split()[1] == "up", status
    full_refresh_carries_prod_to_the_warehouse(compose_stack)


def full_refresh_carries_prod_to_the_warehouse(stack) -> None:
    """One run of the full refresh, triggered through the published port: MySQL -> S3 -> the emulator."""
    client = published_client(stack)
    client.set_paused(FULL_REFRESH, False)
    # The lab calendar's last day: no other test runs the full refresh for it, and a later date would get a
    # run with no task (after the DAG's end_date), green without having run.
    run_id = client.trigger(FULL_REFRESH, date.fromisoformat(lab_settings.LAB_CALENDAR_END))
    run = client.wait_for_run(FULL_REFRESH, run_id)
    tasks = {task["task_id"]: task["state"] for task in client.task_instances(FULL_REFRESH, run_id)}
    assert run["state"] == "success" and set(tasks.values()) == {"success"} and len(tasks) == 2, (run, tasks)
    assert warehouse_count(stack) == source_count(stack)


def test_init_runs_again_harmlessly(compose_stack):
    before = (source_count(compose_stack), warehouse_count(compose_stack))
    assert compose_stack.run_one_shot("init") == 0, compose_stack.running["init"].log_tail()
    assert (source_count(compose_stack), warehouse_count(compose_stack)) == before


def test_airflow_components_write_to_the_container_output(compose_stack):
    """What `docker compose logs airflow` shows: the components' own lines, not only `lab serve`'s."""
    output = compose_stack.running["airflow"].log_path.read_text(errors="replace")
    assert "Starting the scheduler" in output and "uvicorn" in output.lower()


def test_task_logs_survive_a_new_airflow_container(compose_stack):
    """Task logs live on a volume: a new container (`down` then `up`) still shows an old run's log."""
    client = published_client(compose_stack)
    run_id = client.runs(FULL_REFRESH)[-1]["dag_run_id"]
    task = f"/dags/{FULL_REFRESH}/dagRuns/{run_id}/taskInstances/s3_to_redshift_nps/logs/1"
    before = client.request("GET", task)["content"]
    compose_stack.recreate("airflow", timeout=300)
    after = published_client(compose_stack).request("GET", task)["content"]
    assert after == before and any("COPY" in str(line) for line in after)


def test_reset_from_the_jupyter_container_deletes_the_runs(compose_stack):
    output = lab(compose_stack, "reset")
    assert "DAG runs deleted" in output, output
    assert published_client(compose_stack).runs(FULL_REFRESH) == []
    assert warehouse_count(compose_stack) == 0


def test_moto_swapped_in_for_localstack_carries_the_full_refresh(compose_stack):
    """`LAB_S3_SERVER=moto docker compose up -d` on the running stack: only s3 gets a new container, moto's;
    `init` runs again and makes the bucket in it; then the full refresh exports to it from the airflow
    container and the emulator COPYs from it, through s3:4566 as before. Last, after reset: the stack stays
    on moto, and the rest of the rehearsal needs no second stack."""
    assert compose_stack.up_again({"LAB_S3_SERVER": "moto"}) == ["s3"]
    with urllib.request.urlopen(
        f"http://127.0.0.1:{compose_stack.published('s3', 4566)}/moto-api/", timeout=30
    ) as response:
        assert response.status == 200, "moto's own API answers: the server is moto"
    status = lab(compose_stack, "status", "s3")
    assert status.split()[1] == "up", status
    full_refresh_carries_prod_to_the_warehouse(compose_stack)
    exported = published_s3(compose_stack).list_objects_v2(Bucket=DOTENV["LAB_S3_BUCKET"])
    assert exported.get("KeyCount", 0) > 0, "the full refresh's export is in moto"
