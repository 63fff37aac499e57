"""Summary table (the course's `Build_Summary`): daily NPS in analytics.nps_summary, built from raw_data.nps.

ELT: the load DAGs copy the source as it is (raw_data); the warehouse itself turns it into the table the
analysts read. The course's summary operator does it in four steps, each one operator here:

1. Input check: the source has rows (a summary of an empty table would replace a good one with nothing).
2. CTAS into a temp table, with the course's own SQL; a temp table left by a failed run is dropped first.
3. Output check: one row per day, and as many days as raw_data.nps has.
4. Swap in one transaction (the hook commits once, after the last statement): drop the old table, rename
   the temp table, grant SELECT to the analysts' group. Readers see the old table or the new one; a failed
   check stops the run before the swap, so the old table stays as it was.

It rebuilds the whole table from all of raw_data.nps, so re-running gives the same table and the logical
date chooses nothing. So it has no schedule: run it after a load (the lab's scheduler starts no
scheduled runs anyway). On a real deployment, schedule it once the day's loads are done, as the course
did (its summaries ran daily at 13:25 UTC), or on an Asset the load DAGs update.
"""

import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator, SQLTableCheckOperator
from airflow.sdk import DAG, chain

from lab_settings import (
    ANALYTICS_GROUP,
    ANALYTICS_SCHEMA,
    NPS_SUMMARY_TABLE,
    REDSHIFT_CONN_ID,
    SEED_START_DATE,
    WAREHOUSE_SCHEMA,
)

SOURCE = f"{WAREHOUSE_SCHEMA}.nps"
SUMMARY = f"{ANALYTICS_SCHEMA}.{NPS_SUMMARY_TABLE}"
TEMP_SUMMARY = f"{ANALYTICS_SCHEMA}.temp_{NPS_SUMMARY_TABLE}"

# [START nps_summary_sql]
# The course's SQL: NPS = % promoters (score 9-10) - % detractors (0-6), per day. LEFT() of a timestamp
# and ROUND() of a double are Redshift's (r_LEFT.html, r_ROUND.html). The two shares are for the chart.
# The shares are of the answers that carry a score: COUNT(score), where the course wrote COUNT(1). The two
# agree until a score is NULL (notebook 06 leaves one): an unanswered score is no promoter, no passive and
# no detractor, so it must not dilute the NPS. The lab computes NPS this one way everywhere.
NPS_SUMMARY_SQL = f"""
SELECT LEFT(created_at, 10) AS date,
  ROUND(SUM(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 END)::float*100/COUNT(score), 2) AS nps,
  ROUND(SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END)::float*100/COUNT(score), 2) AS promoters,
  ROUND(SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END)::float*100/COUNT(score), 2) AS detractors
FROM {SOURCE}
GROUP BY 1
ORDER BY 1
"""
# [END nps_summary_sql]

# [START build_summary]
with DAG(
    dag_id="Build_Summary",
    schedule=None,
    start_date=pendulum.parse(SEED_START_DATE),
    catchup=False,
    max_active_runs=1,  # two runs at once would build the same temp table
    tags=["course", "summary", "elt"],
) as dag:
    # [START build_summary_input_check]
    check_source = SQLTableCheckOperator(
        task_id="check_source_has_rows",
        conn_id=REDSHIFT_CONN_ID,
        table=SOURCE,
        checks={"source_has_rows": {"check_statement": "COUNT(*) > 0"}},
    )
    # [END build_summary_input_check]

    # [START build_summary_create_temp]
    create_temp = SQLExecuteQueryOperator(
        task_id="create_temp_nps_summary",
        conn_id=REDSHIFT_CONN_ID,
        sql=[
            f"DROP TABLE IF EXISTS {TEMP_SUMMARY}",
            f"CREATE TABLE {TEMP_SUMMARY} sortkey(date) AS {NPS_SUMMARY_SQL}",
        ],
    )
    # [END build_summary_create_temp]

    # [START build_summary_output_check]
    check_temp = SQLTableCheckOperator(
        task_id="check_one_row_per_day",
        conn_id=REDSHIFT_CONN_ID,
        table=TEMP_SUMMARY,
        checks={
            "one_row_per_day": {"check_statement": "COUNT(*) = COUNT(DISTINCT date)"},
            "every_day_of_the_source": {
                "check_statement": f"COUNT(*) = (SELECT COUNT(DISTINCT LEFT(created_at, 10)) FROM {SOURCE})"
            },
        },
    )
    # [END build_summary_output_check]

    # [START build_summary_swap]
    swap = SQLExecuteQueryOperator(
        task_id="swap_nps_summary",
        conn_id=REDSHIFT_CONN_ID,
        sql=[
            f"DROP TABLE IF EXISTS {SUMMARY}",
            f"ALTER TABLE {TEMP_SUMMARY} RENAME TO {NPS_SUMMARY_TABLE}",
            f"GRANT SELECT ON {SUMMARY} TO GROUP {ANALYTICS_GROUP}",
        ],
    )
    # [END build_summary_swap]

    chain(check_source, create_temp, check_temp, swap)
# [END build_summary]
