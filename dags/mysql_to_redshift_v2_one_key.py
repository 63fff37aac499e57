"""The course's `MySQL_to_Redshift_v2` as the course wrote it: every day exported to ONE S3 key.

Kept to show, for real, why the lab's `MySQL_to_Redshift_v2` gives each day its own key (notebook 04):
when two runs of this DAG overlap, the second export overwrites the first run's object before the first
run's COPY reads it, and the first day is silently loaded with the second day's rows. Not for use.
"""

import pendulum
from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator
from airflow.providers.amazon.aws.transfers.sql_to_s3 import SqlToS3Operator
from airflow.sdk import DAG, chain

from lab_settings import (
    AWS_CONN_ID,
    LAB_CALENDAR_END,
    MYSQL_CONN_ID,
    REDSHIFT_CONN_ID,
    S3_BUCKET,
    SEED_START_DATE,
    SOURCE_DATABASE,
    WAREHOUSE_SCHEMA,
)

# One key for every run, in a folder of its own: COPY reads every object under a key prefix, and the
# full refresh's "raw_data-nps" would otherwise match this key too.
ONE_KEY = f"one_key/{WAREHOUSE_SCHEMA}-nps"

# [START one_key]
with DAG(
    dag_id="MySQL_to_Redshift_v2_one_key",
    schedule="@daily",
    start_date=pendulum.parse(SEED_START_DATE),
    end_date=pendulum.parse(LAB_CALENDAR_END),  # the scheduler starts no run of its own
    catchup=False,
    tags=["course", "incremental", "anti-pattern"],
) as dag:
    export_day = SqlToS3Operator(
        task_id="mysql_to_s3_nps",
        query=(
            f"SELECT * FROM {SOURCE_DATABASE}.nps"
            " WHERE created_at >= '{{ ds }}' AND created_at < '{{ macros.ds_add(ds, 1) }}'"
        ),
        s3_bucket=S3_BUCKET,
        s3_key=ONE_KEY,
        sql_conn_id=MYSQL_CONN_ID,
        aws_conn_id=AWS_CONN_ID,
        verify=False,
        replace=True,
        df_kwargs={"index": False, "header": False},
    )

    upsert_day = S3ToRedshiftOperator(
        task_id="s3_to_redshift_nps",
        s3_bucket=S3_BUCKET,
        s3_key=ONE_KEY,
        schema=WAREHOUSE_SCHEMA,
        table="nps",
        copy_options=["csv"],
        method="UPSERT",
        upsert_keys=["id"],
        redshift_conn_id=REDSHIFT_CONN_ID,
        aws_conn_id=AWS_CONN_ID,
    )

    chain(export_day, upsert_day)
# [END one_key]
