"""The two tasks that load one day as the course's `MySQL_to_Redshift_v2` does: export, then upsert.

Every DAG that loads by the day builds them here, inside its own `with DAG(...)` block, so that the
lessons' DAGs differ only in what they teach (their schedule, catch-up, order) and never in how a day
is copied. Not a DAG file itself: it defines no DAG.

The query selects one day by the run's logical date, `ds` (Airflow 3 removed `execution_date`), with a
half-open window `created_at >= ds AND created_at < ds + 1 day` that MySQL can read from the index the seed
adds on created_at (seed/nps.py); `DATE(created_at) = ...` hides the column from that index, so MySQL would
compute DATE() on every row (notebook 03 shows both plans with EXPLAIN). S3ToRedshiftOperator with
method="UPSERT" COPYs the day into a temporary table, deletes the warehouse rows with the same ids and
inserts the new ones in one transaction: re-running a day replaces its rows instead of duplicating them.

Each day exports to its own S3 object. COPY reads every object whose key starts with the given key, so
the key ends in ".csv" (SqlToS3Operator keeps it): no day's key is the beginning of another's.
"""

from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator
from airflow.providers.amazon.aws.transfers.sql_to_s3 import SqlToS3Operator
from airflow.sdk import chain

from lab_settings import (
    AWS_CONN_ID,
    DAILY_KEY_FOLDER,
    MYSQL_CONN_ID,
    REDSHIFT_CONN_ID,
    S3_BUCKET,
    SOURCE_DATABASE,
    WAREHOUSE_SCHEMA,
)

DAY_KEY = DAILY_KEY_FOLDER + "/nps/{{ ds }}.csv"


def export_and_upsert_day(s3_key: str = DAY_KEY) -> None:
    """Add the day's export and upsert, in that order, to the DAG being defined, through ``s3_key``: the
    day's own object by default (the course's one shared key makes MySQL_to_Redshift_v2_one_key)."""
    # [START upsert_export]
    export_day = SqlToS3Operator(
        task_id="mysql_to_s3_nps",
        query=(
            f"SELECT * FROM {SOURCE_DATABASE}.nps"
            " WHERE created_at >= '{{ ds }}' AND created_at < '{{ macros.ds_add(ds, 1) }}'"
        ),
        s3_bucket=S3_BUCKET,
        s3_key=s3_key,
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
        s3_key=s3_key,
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
