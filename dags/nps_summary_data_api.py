"""The NPS summary through the Redshift Data API (`RedshiftDataOperator`), not a wire connection.

No driver and no open connection: each task sends its SQL over HTTPS (boto3's `redshift-data`, signed with
the `aws` connection's keys), gets a statement Id back, polls DescribeStatement until FINISHED and, for the
read, fetches the typed rows with GetStatementResult. In the lab, the `aws` connection's
``service_config`` points `redshift-data` at the emulator's Data API (LAB_REDSHIFT_DATA_URL); on AWS,
boto3 finds the regional endpoint and ``cluster_identifier`` (or ``workgroup_name``) names the warehouse.

1. Build: a list of SQL is one BatchExecuteStatement, run in one transaction: the drop and the CTAS of
   analytics.nps_summary_data_api happen together or not at all.
2. Read: the last week of the summary, returned as the task's XCom (GetStatementResult's Records).
"""

import pendulum
from airflow.providers.amazon.aws.operators.redshift_data import RedshiftDataOperator
from airflow.sdk import DAG, chain

from lab_settings import ANALYTICS_SCHEMA, AWS_CONN_ID, REDSHIFT_CONN_ID, SEED_START_DATE, WAREHOUSE_SCHEMA

SUMMARY = f"{ANALYTICS_SCHEMA}.nps_summary_data_api"
CLUSTER = "nps-lab"  # any name in the lab; on AWS, the cluster's identifier
# The Redshift database the lab's `redshift` connection names (LAB_REDSHIFT_URL's database: `dev`).
DATABASE = "{{ conn.%s.schema }}" % REDSHIFT_CONN_ID  # noqa: UP031 - a Jinja template, not Python's format

# The same NPS as Build_Summary's: % promoters (9-10) - % detractors (0-6) of the answers with a score.
NPS_SUMMARY_SQL = f"""
SELECT LEFT(created_at, 10) AS date,
  ROUND(SUM(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 END)::float*100/COUNT(score), 2) AS nps,
  COUNT(score) AS answers
FROM {WAREHOUSE_SCHEMA}.nps
GROUP BY 1
"""

# [START nps_summary_data_api]
with DAG(
    dag_id="NPS_Summary_Data_API",
    schedule=None,
    start_date=pendulum.parse(SEED_START_DATE),
    catchup=False,
    max_active_runs=1,
    tags=["summary", "data-api"],
) as dag:
    build = RedshiftDataOperator(
        task_id="build_summary_with_data_api",
        aws_conn_id=AWS_CONN_ID,
        cluster_identifier=CLUSTER,
        database=DATABASE,
        sql=[f"DROP TABLE IF EXISTS {SUMMARY}", f"CREATE TABLE {SUMMARY} AS {NPS_SUMMARY_SQL}"],
        statement_name="nps_summary_data_api",
        poll_interval=1,  # seconds between DescribeStatement calls
    )
    read = RedshiftDataOperator(
        task_id="read_last_week",
        aws_conn_id=AWS_CONN_ID,
        cluster_identifier=CLUSTER,
        database=DATABASE,
        sql=f"SELECT date, nps, answers FROM {SUMMARY} ORDER BY date DESC LIMIT 7",
        return_sql_result=True,  # the XCom: GetStatementResult's ColumnMetadata and typed Records
        poll_interval=1,
    )
    chain(build, read)
# [END nps_summary_data_api]
