"""The full refresh with another file format, as a learner would change it: SqlToS3Operator(file_format=
"parquet" | "json") -> S3ToRedshiftOperator(copy_options=[...]) through Airflow's dag.test(), into the real
emulator; the warehouse ends equal to the source."""

from __future__ import annotations

import dataclasses

import pytest

from lab.config import REPO_ROOT
from tests.dags.conftest import FIRST_DAY

# A DAG file of its own, in a DAG folder of its own: the lab's DAGs stay as the course wrote them.
DAG_FILE = """
import pendulum
from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator
from airflow.providers.amazon.aws.transfers.sql_to_s3 import SqlToS3Operator
from airflow.sdk import DAG, chain

from lab_settings import (
    AWS_CONN_ID,
    MYSQL_CONN_ID,
    REDSHIFT_CONN_ID,
    S3_BUCKET,
    SOURCE_DATABASE,
    WAREHOUSE_SCHEMA,
)

FORMATS = {
    # pandas reads MySQL integers as int64; Parquet keeps that type, which an INTEGER column refuses.
    "parquet": ({"read_kwargs": {"dtype": {"id": "int32", "score": "int16"}}}, ["FORMAT AS PARQUET"]),
    "json": (
        {"df_kwargs": {"orient": "records", "lines": True, "date_format": "iso"}},
        ["FORMAT AS JSON 'auto'", "TIMEFORMAT 'auto'"],
    ),
}
for file_format, (export_options, copy_options) in FORMATS.items():
    with DAG(dag_id=f"formats_{file_format}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        chain(
            SqlToS3Operator(
                task_id="export",
                query=f"SELECT * FROM {SOURCE_DATABASE}.nps",
                s3_bucket=S3_BUCKET,
                s3_key=f"formats-{file_format}/nps",
                sql_conn_id=MYSQL_CONN_ID,
                aws_conn_id=AWS_CONN_ID,
                replace=True,
                file_format=file_format,
                **export_options,
            ),
            S3ToRedshiftOperator(
                task_id="load",
                s3_bucket=S3_BUCKET,
                s3_key=f"formats-{file_format}/nps",
                schema=WAREHOUSE_SCHEMA,
                table="nps",
                copy_options=copy_options,
                method="REPLACE",
                redshift_conn_id=REDSHIFT_CONN_ID,
                aws_conn_id=AWS_CONN_ID,
            ),
        )
"""


@pytest.fixture(scope="module")
def formats_tester(airflow_lab, tmp_path_factory):
    folder = tmp_path_factory.mktemp("format-dags")
    (folder / "lab_settings.py").symlink_to(REPO_ROOT / "dags" / "lab_settings.py")
    (folder / "file_formats.py").write_text(DAG_FILE)
    lab = dataclasses.replace(airflow_lab, env={**airflow_lab.env, "AIRFLOW__CORE__DAGS_FOLDER": str(folder)})
    with lab.dag_tester() as tester:
        yield tester


@pytest.mark.parametrize("file_format", ["parquet", "json"])
def test_full_refresh_in_another_format(file_format, formats_tester, empty_warehouse, tables):
    source = tables.source("SELECT * FROM nps ORDER BY id")
    state = formats_tester.run(f"formats_{file_format}", FIRST_DAY, timeout=240)
    assert state == "success", "".join(formats_tester.log[-80:])
    assert tables.warehouse("nps") == source
