"""Full refresh (the course's `MySQL_to_Redshift`): copy all of prod.nps to the warehouse on every run.

SqlToS3Operator runs the query on MySQL and uploads the result as one CSV object (it appends ".csv" to the
key); S3ToRedshiftOperator with method="REPLACE" then empties the warehouse table and COPYs that object in
one transaction, so readers see the old table or the new one, never half of it. Only operator arguments,
no custom code. A full refresh gains nothing from a backfill, so it does not catch up.
"""

import pendulum
from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator
from airflow.providers.amazon.aws.transfers.sql_to_s3 import SqlToS3Operator
from airflow.sdk import DAG, chain

from lab_settings import (
    AWS_CONN_ID,
    LAB_CALENDAR_END,
    MYSQL_CONN_ID,
    NPS_FULL_REFRESH_KEY,
    REDSHIFT_CONN_ID,
    S3_BUCKET,
    SEED_START_DATE,
    SOURCE_DATABASE,
    WAREHOUSE_SCHEMA,
)

# [START full_refresh]
with DAG(
    dag_id="MySQL_to_Redshift",
    schedule="@daily",
    start_date=pendulum.parse(SEED_START_DATE),
    end_date=pendulum.parse(LAB_CALENDAR_END),  # the scheduler starts no run of its own
    catchup=False,
    tags=["course", "full-refresh"],
) as dag:
    # [START full_refresh_export]
    export_nps = SqlToS3Operator(
        task_id="mysql_to_s3_nps",
        query=f"SELECT * FROM {SOURCE_DATABASE}.nps",
        s3_bucket=S3_BUCKET,
        s3_key=NPS_FULL_REFRESH_KEY,
        sql_conn_id=MYSQL_CONN_ID,
        aws_conn_id=AWS_CONN_ID,
        verify=False,
        replace=True,
        df_kwargs={"index": False, "header": False},
    )
    # [END full_refresh_export]

    # [START full_refresh_copy]
    copy_nps = S3ToRedshiftOperator(
        task_id="s3_to_redshift_nps",
        s3_bucket=S3_BUCKET,
        s3_key=NPS_FULL_REFRESH_KEY,
        schema=WAREHOUSE_SCHEMA,
        table="nps",
        copy_options=["csv"],
        method="REPLACE",
        redshift_conn_id=REDSHIFT_CONN_ID,
        aws_conn_id=AWS_CONN_ID,
    )
    # [END full_refresh_copy]

    chain(export_nps, copy_nps)
# [END full_refresh]
