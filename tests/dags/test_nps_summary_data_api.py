"""`NPS_Summary_Data_API` through Airflow: RedshiftDataOperator, unchanged, talks to the emulator's Data API
(the `aws` connection's service_config), builds the summary in one batch and returns the typed rows."""

from __future__ import annotations

import json

import boto3

from lab.config import load_settings
from tests.dags.conftest import FIRST_DAY, SEEDED_DAYS, run_dag, task_states
from tests.services import postgres_connect

DAG_ID = "NPS_Summary_Data_API"
SUMMARY = "analytics.nps_summary_data_api"


def test_the_data_api_dag_builds_and_reads_the_summary(
    dag_tester, airflow_lab, empty_warehouse, warehouse_url
):
    run_dag(dag_tester, "MySQL_to_Redshift", FIRST_DAY)
    run_dag(dag_tester, DAG_ID, FIRST_DAY)
    assert task_states(airflow_lab, DAG_ID, FIRST_DAY) == {
        "build_summary_with_data_api": "success",
        "read_last_week": "success",
    }
    with postgres_connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT date, answers FROM {SUMMARY} ORDER BY date")
        rows = cur.fetchall()
    assert [row[0] for row in rows] == [day.isoformat() for day in SEEDED_DAYS]

    # The statements went through the Data API: it lists the batch under the DAG's statement name.
    settings = load_settings(airflow_lab.env)
    assert settings.redshift_data_url
    client = boto3.client(
        "redshift-data",
        endpoint_url=settings.redshift_data_url,
        region_name=settings.aws_region,
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=settings.aws_secret_access_key,
    )
    listed = client.list_statements(StatementName="nps_summary_data_api")["Statements"]
    assert listed and listed[0]["IsBatchStatement"] and listed[0]["Status"] == "FINISHED"

    # The read task's XCom: GetStatementResult's typed records, the latest day first.
    (result,) = read_xcom(airflow_lab, "read_last_week")
    assert [c["name"] for c in result["ColumnMetadata"]] == ["date", "nps", "answers"]
    latest = [(r[0]["stringValue"], r[2]["longValue"]) for r in result["Records"]]
    assert latest == [(str(day), answers) for day, answers in reversed(rows)][:7]
    assert all("doubleValue" in r[1] for r in result["Records"])


def read_xcom(airflow_lab, task_id: str):
    """The return value ``task_id`` pushed in the run of FIRST_DAY, from the metadata database."""
    url = airflow_lab.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg2", "")
    with postgres_connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT x.value FROM xcom x JOIN dag_run dr ON dr.dag_id = x.dag_id AND dr.run_id = x.run_id"
            " WHERE x.dag_id = %s AND x.task_id = %s AND x.key = 'return_value'"
            " AND dr.logical_date::date = %s",
            (DAG_ID, task_id, FIRST_DAY),
        )
        (value,) = cur.fetchone()
    return json.loads(value) if isinstance(value, str) else value
