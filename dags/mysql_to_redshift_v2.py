"""Incremental upsert (the course's `MySQL_to_Redshift_v2`): each run copies the rows created on its day.

The query selects one day by the run's logical date, `ds` (Airflow 3 removed `execution_date`), with a
half-open window `created_at >= ds AND created_at < ds + 1 day` that MySQL can read from the index the seed
adds on created_at (seed/nps.py); `DATE(created_at) = ...` hides the column from that index, so MySQL would
compute DATE() on every row (notebook 03 shows both plans with EXPLAIN). S3ToRedshiftOperator with
method="UPSERT" COPYs the day into a temporary table, deletes the warehouse rows with the same ids and
inserts the new ones in one transaction: re-running a day replaces its rows instead of duplicating them.

The schedule gives each scheduled or backfill run the day it is named after as its data interval (Airflow
2's meaning of @daily: the run for day D starts once D is over), so `ds` always names a complete day. A plain
schedule="@daily" would not: Airflow 3 reads a cron schedule as CronTriggerTimetable, whose run for D starts
at the beginning of D with an empty data interval. (A run triggered for logical date D gets the interval that
ends at D; the query reads `ds`, the logical date, so it exports day D all the same.)

Backfill-ready as the course teaches: the run's date chooses the data, catchup=True from the first
seeded day, one run at a time (max_active_runs=1), and each day exports to its own S3 object. COPY reads
every object whose key starts with the given key, so the key ends in ".csv" (SqlToS3Operator keeps it):
no day's key is the beginning of another's.
"""

import pendulum
from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator
from airflow.providers.amazon.aws.transfers.sql_to_s3 import SqlToS3Operator
from airflow.sdk import DAG, CronDataIntervalTimetable, chain

from lab_settings import (
    AWS_CONN_ID,
    DAILY_KEY_FOLDER,
    MYSQL_CONN_ID,
    REDSHIFT_CONN_ID,
    S3_BUCKET,
    SEED_START_DATE,
    SOURCE_DATABASE,
    WAREHOUSE_SCHEMA,
)

DAY_KEY = DAILY_KEY_FOLDER + "/nps/{{ ds }}.csv"

# [START upsert]
with DAG(
    dag_id="MySQL_to_Redshift_v2",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.parse(SEED_START_DATE),
    catchup=True,
    max_active_runs=1,
    tags=["course", "incremental", "upsert"],
) as dag:
    # [START upsert_export]
    export_day = SqlToS3Operator(
        task_id="mysql_to_s3_nps",
        query=(
            f"SELECT * FROM {SOURCE_DATABASE}.nps"
            " WHERE created_at >= '{{ ds }}' AND created_at < '{{ macros.ds_add(ds, 1) }}'"
        ),
        s3_bucket=S3_BUCKET,
        s3_key=DAY_KEY,
        sql_conn_id=MYSQL_CONN_ID,
        aws_conn_id=AWS_CONN_ID,
        verify=False,
        replace=True,
        df_kwargs={"index": False, "header": False},
    )
    # [END upsert_export]

    # [START upsert_copy]
    upsert_day = S3ToRedshiftOperator(
        task_id="s3_to_redshift_nps",
        s3_bucket=S3_BUCKET,
        s3_key=DAY_KEY,
        schema=WAREHOUSE_SCHEMA,
        table="nps",
        copy_options=["csv"],
        method="UPSERT",
        upsert_keys=["id"],
        redshift_conn_id=REDSHIFT_CONN_ID,
        aws_conn_id=AWS_CONN_ID,
    )
    # [END upsert_copy]

    chain(export_day, upsert_day)
# [END upsert]
