"""The scheduler's own backfill, the course's way (notebook 09): catchup=True, start_date and end_date set
to the days to reload, then unpause.

Both DAGs load days as MySQL_to_Redshift_v2 does (daily_upsert.py), and both are created paused: nothing
runs until the learner unpauses one, with the toggle in the Dag list or `airflow dags unpause`.

- MySQL_to_Redshift_v2_catchup: catchup=True over the lesson's days (lab_settings.CATCHUP_START_DATE to
  CATCHUP_END_DATE, both included: end_date is the last logical date that gets a run). Unpaused, the
  scheduler makes one run per day of that window, oldest first, one at a time (max_active_runs=1), and
  then no more: the window is closed. This bounds the scheduler without switching it off.
- MySQL_to_Redshift_v2_no_catchup: the same start, catchup=False and no end_date. Unpaused, the scheduler
  skips every missed day and makes only the latest complete one: yesterday by the wall clock, a day the
  seed has no rows for. Left unpaused it would add a run every day; the lesson pauses it again.
"""

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable

from daily_upsert import export_and_upsert_day
from lab_settings import CATCHUP_END_DATE, CATCHUP_START_DATE

# [START catchup]
with DAG(
    dag_id="MySQL_to_Redshift_v2_catchup",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.parse(CATCHUP_START_DATE),
    end_date=pendulum.parse(CATCHUP_END_DATE),
    catchup=True,
    max_active_runs=1,
    is_paused_upon_creation=True,
    tags=["course", "backfill", "catchup"],
) as catchup_dag:
    export_and_upsert_day()
# [END catchup]

# [START no_catchup]
with DAG(
    dag_id="MySQL_to_Redshift_v2_no_catchup",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.parse(CATCHUP_START_DATE),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=True,
    tags=["course", "backfill", "catchup"],
) as no_catchup_dag:
    export_and_upsert_day()
# [END no_catchup]
