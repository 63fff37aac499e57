"""Incremental by ROW_NUMBER (the course's other method), on prod.nps_changes: keep each id's latest row.

1. Export the source rows modified on the run's day (`ds`, half-open window on `modified`; as in
   MySQL_to_Redshift_v2, the run for day D starts once D is over).
2. Copy the warehouse table A to a work table temp_A of this run's own: its name carries the run's day
   (`temp_nps_changes_20240105`), so two runs at once never share one (a permanent, shared temp_A would
   let one run's COPY land in the other's table, or be dropped under it). `max_active_runs=1` keeps a
   backfill in date order; it is no longer what keeps runs apart.
3. COPY the day's rows into temp_A: now an id may appear twice, old and new.
4. Number each id's rows by `modified DESC` and keep row number 1, unless it is soft-deleted; replace A's
   rows with that result in one transaction (the hook commits once, after the last statement), so a
   failed run leaves A as it was.
5. Drop temp_A.
Re-running the latest day gives the same table: the day's rows tie with themselves and one of two equal rows
stays. An older day is safe to re-run whole, since its export reads the source as it is now (a row changed
later is no longer in it); reloading an older day's file without its export is not: a row soft-deleted later
is gone from A, so its older version wins again and comes back (notebook 05 shows it). Where old files can be
reloaded, re-run every later day after it, or keep deleted rows in A and let readers filter them.
"""

import pendulum
from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator
from airflow.providers.amazon.aws.transfers.sql_to_s3 import SqlToS3Operator
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG, CronDataIntervalTimetable, chain

from lab_settings import (
    AWS_CONN_ID,
    DAILY_KEY_FOLDER,
    LAB_CALENDAR_END,
    MYSQL_CONN_ID,
    REDSHIFT_CONN_ID,
    S3_BUCKET,
    SEED_START_DATE,
    SOURCE_DATABASE,
    WAREHOUSE_SCHEMA,
)

DAY_KEY = DAILY_KEY_FOLDER + "/nps_changes/{{ ds }}.csv"
TABLE = f"{WAREHOUSE_SCHEMA}.nps_changes"
# One work table per run, named from the run's logical date (a Jinja template, rendered per run).
TEMP_TABLE_NAME = "temp_nps_changes_{{ ds_nodash }}"
TEMP_TABLE = f"{WAREHOUSE_SCHEMA}.{TEMP_TABLE_NAME}"

# [START row_number]
with DAG(
    dag_id="MySQL_to_Redshift_row_number",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.parse(SEED_START_DATE),
    end_date=pendulum.parse(LAB_CALENDAR_END),  # the scheduler starts no run of its own
    catchup=False,
    max_active_runs=1,
    tags=["course", "incremental", "row_number"],
) as dag:
    # [START row_number_export]
    export_changes = SqlToS3Operator(
        task_id="mysql_to_s3_nps_changes",
        query=(
            f"SELECT * FROM {SOURCE_DATABASE}.nps_changes"
            " WHERE modified >= '{{ ds }}' AND modified < '{{ macros.ds_add(ds, 1) }}'"
        ),
        s3_bucket=S3_BUCKET,
        s3_key=DAY_KEY,
        sql_conn_id=MYSQL_CONN_ID,
        aws_conn_id=AWS_CONN_ID,
        verify=False,
        replace=True,
        df_kwargs={"index": False, "header": False},
    )
    # [END row_number_export]

    # [START row_number_copy_to_temp]
    copy_to_temp = SQLExecuteQueryOperator(
        task_id="copy_nps_changes_to_temp",
        conn_id=REDSHIFT_CONN_ID,
        sql=[
            f"DROP TABLE IF EXISTS {TEMP_TABLE}",
            f"CREATE TABLE {TEMP_TABLE} AS SELECT * FROM {TABLE}",
        ],
    )
    # [END row_number_copy_to_temp]

    # [START row_number_load_changes]
    load_changes = S3ToRedshiftOperator(
        task_id="s3_to_temp_nps_changes",
        s3_bucket=S3_BUCKET,
        s3_key=DAY_KEY,
        schema=WAREHOUSE_SCHEMA,
        table=TEMP_TABLE_NAME,
        copy_options=["csv"],
        method="APPEND",
        redshift_conn_id=REDSHIFT_CONN_ID,
        aws_conn_id=AWS_CONN_ID,
    )
    # [END row_number_load_changes]

    # [START row_number_keep_latest]
    keep_latest = SQLExecuteQueryOperator(
        task_id="keep_latest_nps_changes",
        conn_id=REDSHIFT_CONN_ID,
        sql=[
            f"DELETE FROM {TABLE}",
            f"""
            INSERT INTO {TABLE}
            SELECT id, created_at, score, modified, deleted
            FROM (
                SELECT *, ROW_NUMBER() OVER (PARTITION BY id ORDER BY modified DESC) AS row_num
                FROM {TEMP_TABLE}
            ) AS ranked
            WHERE row_num = 1 AND NOT deleted
            """,
        ],
    )
    # [END row_number_keep_latest]

    # [START row_number_drop_temp]
    drop_temp = SQLExecuteQueryOperator(
        task_id="drop_temp_nps_changes",
        conn_id=REDSHIFT_CONN_ID,
        sql=f"DROP TABLE {TEMP_TABLE}",
    )
    # [END row_number_drop_temp]

    chain(export_changes, copy_to_temp, load_changes, keep_latest, drop_temp)
# [END row_number]
