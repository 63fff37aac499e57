"""Two habits of the course's Airflow 2 code that fail on Airflow 3, each in a DAG of its own.

Notebooks 03 and 04 run them with `airflow dags test DAG_ID DATE -f <this file>` to show each failure
for real. `.airflowignore` keeps this folder from the dag-processor, so the scheduler never runs them;
`airflow dags test` still records its run in the metadata database, and each DAG is created paused so that
the running scheduler leaves that run to the command.
"""

import pendulum
from airflow.providers.amazon.aws.transfers.sql_to_s3 import SqlToS3Operator
from airflow.sdk import DAG
from mysql_to_redshift_v2_one_key import ONE_KEY

from lab_settings import AWS_CONN_ID, MYSQL_CONN_ID, S3_BUCKET, SOURCE_DATABASE

# [START execution_date]
with DAG(
    dag_id="course_execution_date",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    is_paused_upon_creation=True,
):
    SqlToS3Operator(
        task_id="mysql_to_s3_nps",
        query=(
            f"SELECT * FROM {SOURCE_DATABASE}.nps"  # the course's query; Airflow 3 has no `execution_date`:
            " WHERE DATE(created_at) = DATE('{{ execution_date }}')"
        ),
        s3_bucket=S3_BUCKET,
        s3_key="airflow2_as_written/nps.csv",
        sql_conn_id=MYSQL_CONN_ID,
        aws_conn_id=AWS_CONN_ID,
        verify=False,
        replace=True,
        df_kwargs={"index": False, "header": False},
    )
# [END execution_date]

# [START replace_false]
with DAG(
    dag_id="course_one_key_no_replace",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    is_paused_upon_creation=True,
):
    SqlToS3Operator(
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
        # The one-key export, refusing to overwrite: the object another day's run left fails this one.
        replace=False,
        df_kwargs={"index": False, "header": False},
    )
# [END replace_false]
