"""The DAG files parse without errors, and parsing them touches no connection and no network."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lab.config import REPO_ROOT, load_settings

pytestmark = pytest.mark.slow  # each test parses every DAG file in an Airflow process of its own

# Run in a fresh interpreter: any socket connect while Airflow imports and parses the DAG files raises,
# which DagBag records as an import error of the file that tried.
PARSE = """
import json, socket, sys

def refuse(self, address):
    raise OSError(f"DAG parsing connected to {address}")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization

def scheduled(dag, most=5):
    # The logical dates of the first runs the scheduler would make by itself, as it works them out.
    serialized = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    days, info = [], None
    while len(days) < most and (info := serialized.next_dagrun_info(last_automated_run_info=info)):
        days.append(info.logical_date.date().isoformat())
    return days

bag = DagBag(dag_folder=sys.argv[1])
dags = {
    dag_id: {
        "catchup": dag.catchup,
        "paused_at_creation": dag.is_paused_upon_creation,
        "scheduled": scheduled(dag),
        "max_active_runs": dag.max_active_runs,
        "start_date": dag.start_date.isoformat(),
        "tasks": [task.task_id for task in dag.topological_sort()],
        "queries": [getattr(task, "query", None) for task in dag.tasks if hasattr(task, "query")],
        "keys": sorted({task.s3_key for task in dag.tasks if hasattr(task, "s3_key")}),
    }
    for dag_id, dag in bag.dags.items()
}
print(json.dumps({"errors": bag.import_errors, "dags": dags}))
"""


def parse_dags(tmp_path: Path, extra_env: dict[str, str] | None = None) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "LAB_"))}
    env.update(extra_env or {})
    env["AIRFLOW_HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", PARSE, str(REPO_ROOT / "dags")],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def test_dags_parse_without_errors_or_connections(tmp_path):
    parsed = parse_dags(tmp_path)
    assert parsed["errors"] == {}
    dags = parsed["dags"]
    assert sorted(dags) == [
        "Build_Summary",
        "Export_Formats",  # notebook 08: one SqlToS3Operator per file format
        "MySQL_to_Redshift",
        "MySQL_to_Redshift_row_number",
        "MySQL_to_Redshift_v2",
        "MySQL_to_Redshift_v2_catchup",  # notebook 09: the scheduler's catch-up
        "MySQL_to_Redshift_v2_in_order",  # notebook 10: depends_on_past
        "MySQL_to_Redshift_v2_no_catchup",  # notebook 09: catchup=False beside it
        "MySQL_to_Redshift_v2_one_key",  # the course's single-key v2, kept to show runs clobbering a key
        "NPS_Summary_Data_API",  # the summary through the Redshift Data API (RedshiftDataOperator)
    ]

    assert dags["MySQL_to_Redshift"]["tasks"] == ["mysql_to_s3_nps", "s3_to_redshift_nps"]
    assert dags["MySQL_to_Redshift"]["queries"] == ["SELECT * FROM prod.nps"]
    assert dags["MySQL_to_Redshift"]["keys"] == ["raw_data-nps"]

    for dag_id in ("MySQL_to_Redshift_v2", "MySQL_to_Redshift_row_number"):
        dag = dags[dag_id]
        assert (dag["catchup"], dag["max_active_runs"]) == (False, 1)
        assert dag["start_date"] == "2024-01-01T00:00:00+00:00"
        assert dag["keys"][0].startswith("daily/") and dag["keys"][0].endswith("/{{ ds }}.csv")
    assert dags["MySQL_to_Redshift_v2"]["queries"] == [
        "SELECT * FROM prod.nps WHERE created_at >= '{{ ds }}' AND created_at < '{{ macros.ds_add(ds, 1) }}'"
    ]
    assert dags["MySQL_to_Redshift_row_number"]["tasks"] == [
        "mysql_to_s3_nps_changes",
        "copy_nps_changes_to_temp",
        "s3_to_temp_nps_changes",
        "keep_latest_nps_changes",
        "drop_temp_nps_changes",
    ]
    assert dags["Build_Summary"]["tasks"] == [
        "check_source_has_rows",
        "create_temp_nps_summary",
        "check_one_row_per_day",
        "swap_nps_summary",
    ]


def test_the_same_dag_files_serve_the_lab_and_real_aws(tmp_path):
    """Outgrowing the laptop changes configuration only: under the `aws` profile the DAGs parse to exactly
    the same tasks, queries and keys; only the connections (and the learner's bucket name) differ."""
    bucket = {"LAB_S3_BUCKET": "my-nps-bucket"}
    aws = {
        **bucket,
        "LAB_PROFILE": "aws",
        "LAB_REDSHIFT_URL": "postgresql://awsuser:pw@my-cluster.abc123.us-east-1.redshift.amazonaws.com:5439/dev",
        "LAB_AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/RedshiftS3Read",
    }
    lab_connections = load_settings(bucket).airflow_connections()
    aws_connections = load_settings(aws).airflow_connections()
    assert lab_connections != aws_connections

    on_lab = parse_dags(tmp_path / "lab", {**bucket, **lab_connections})
    on_aws = parse_dags(tmp_path / "aws", {**aws, **aws_connections})
    assert on_lab["errors"] == on_aws["errors"] == {}
    assert on_lab["dags"] == on_aws["dags"]


def test_the_scheduler_makes_no_run_unasked_and_the_catch_up_one_per_day_of_its_window(tmp_path):
    """`lab up` leaves the DAGs unpaused (dags_are_paused_at_creation off) with the scheduler on: none of
    them may start a run by itself. The lessons' catch-up DAGs start paused, and once unpaused make one
    run per day of their window; catchup=False makes only the latest day, yesterday."""
    dags = parse_dags(tmp_path)["dags"]
    unpaused = {dag_id: dag["scheduled"] for dag_id, dag in dags.items() if not dag["paused_at_creation"]}
    assert unpaused and all(days == [] for days in unpaused.values()), unpaused

    window = ["2024-01-02", "2024-01-03", "2024-01-04"]
    for dag_id in ("MySQL_to_Redshift_v2_catchup", "MySQL_to_Redshift_v2_in_order"):
        assert dags[dag_id]["paused_at_creation"] is True
        assert dags[dag_id]["scheduled"] == window
    no_catchup = dags["MySQL_to_Redshift_v2_no_catchup"]
    assert no_catchup["paused_at_creation"] is True
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    assert no_catchup["scheduled"][0] == yesterday
