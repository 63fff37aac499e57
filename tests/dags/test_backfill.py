"""A real backfill of `MySQL_to_Redshift_v2` over the seeded week, run by a real scheduler."""

import time
from datetime import datetime
from urllib.parse import quote

import pytest

from tests.dags.conftest import AFTER_SEED, AWS_SECRET, FIRST_DAY, SEEDED_DAYS

DAG_ID = "MySQL_to_Redshift_v2"


def wait_for_runs(client, count: int, timeout: float = 600) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = client.runs(DAG_ID)
        if len(runs) == count and all(run["state"] in ("success", "failed") for run in runs):
            return runs
        time.sleep(2)
    raise AssertionError(f"backfill not finished after {timeout:.0f} s: {[r['state'] for r in runs]}")


@pytest.mark.slow
def test_backfill_loads_the_week_one_day_at_a_time_in_date_order(airflow_lab, empty_warehouse, tables):
    components = airflow_lab.start()
    try:
        client = airflow_lab.client()
        client.wait_for_dag(DAG_ID)
        for run in client.runs(DAG_ID):  # the dag.test() runs of other tests: the backfill creates its own
            client.request("DELETE", f"/dags/{DAG_ID}/dagRuns/{quote(run['dag_run_id'], safe='')}")

        # An Airflow 3 backfill runs up to its own max_active_runs (default 10), not the DAG's: the course's
        # one day at a time must be asked for here too.
        backfill = ["--dag-id", DAG_ID, "--from-date", str(FIRST_DAY), "--to-date", str(SEEDED_DAYS[-1])]
        airflow_lab.run("backfill", "create", *backfill, "--max-active-runs", "1")
        runs = wait_for_runs(client, len(SEEDED_DAYS))
        after_backfill = tables.warehouse("nps")

        # A run triggered over the REST API, as a notebook does: the full refresh, on the same scheduler.
        run_id = client.trigger("MySQL_to_Redshift", AFTER_SEED)
        triggered = client.wait_for_run("MySQL_to_Redshift", run_id)
    finally:
        for component in components:
            component.stop()

    assert [run["state"] for run in runs] == ["success"] * len(SEEDED_DAYS)
    assert {run["run_type"] for run in runs} == {"backfill"}
    assert [datetime.fromisoformat(run["logical_date"]).date() for run in runs] == SEEDED_DAYS
    starts = [datetime.fromisoformat(run["start_date"]) for run in runs]
    ends = [datetime.fromisoformat(run["end_date"]) for run in runs]
    # One run at a time (max_active_runs=1), in date order: each run starts after the previous one ended.
    periods = list(zip(starts, ends, strict=True))
    assert all(start >= end for start, end in zip(starts[1:], ends[:-1], strict=True)), periods
    assert after_backfill == tables.source("SELECT * FROM nps WHERE created_at < %s ORDER BY id", AFTER_SEED)

    assert triggered["state"] == "success"
    assert tables.warehouse("nps") == tables.source("SELECT * FROM nps ORDER BY id")

    # The task logs show each COPY the hook ran, with the AWS secret masked.
    task_logs = [path.read_text() for path in (airflow_lab.home / "logs").glob("dag_id=*/**/*.log")]
    copies = [log for log in task_logs if "COPY " in log]
    assert len(copies) == len(SEEDED_DAYS) + 1
    assert all("aws_secret_access_key=***" in log and AWS_SECRET not in log for log in copies)
    # The scheduler's own log repeats every task's lines (LocalExecutor): masked there too.
    scheduler_log = (airflow_lab.home / "logs" / "scheduler.log").read_text()
    assert "aws_secret_access_key=***" in scheduler_log
    assert AWS_SECRET not in scheduler_log
