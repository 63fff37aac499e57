"""The course's `MySQL_to_Redshift_v2` as the course wrote it: every day exported to ONE S3 key.

Kept to show, for real, why the lab's `MySQL_to_Redshift_v2` gives each day its own key (notebook 04):
when two runs of this DAG overlap, the second export overwrites the first run's object before the first
run's COPY reads it, and the first day is silently loaded with the second day's rows (notebook 11 lets
the scheduler overlap three days). The day's two tasks are v2's (daily_upsert.py) but for that one key.
Not for use.
"""

import pendulum
from airflow.sdk import DAG

from daily_upsert import export_and_upsert_day
from lab_settings import LAB_CALENDAR_END, SEED_START_DATE, WAREHOUSE_SCHEMA

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
    export_and_upsert_day(s3_key=ONE_KEY)  # the one difference from MySQL_to_Redshift_v2: a key for all days
# [END one_key]
