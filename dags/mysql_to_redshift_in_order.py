"""Days in date order (notebook 10): `depends_on_past=True` in default_args, as the course sets it.

A task instance with depends_on_past runs only once the same task of the DAG's previous run has succeeded
(or was skipped). So when one day fails, the next day's same task waits, with no state, until the failed
day is fixed and cleared; then the days go on in order. The DAG loads days as MySQL_to_Redshift_v2 does
(daily_upsert.py), over the catch-up lesson's days, and is created paused: nothing runs until the learner
unpauses it.

max_active_runs=2, not the course's 1: a failed run is no longer active, so the next day's run starts and
waits, running, for the failed day; once that day is cleared, its run must start again, and with one
active run allowed the waiting day holds the only place: neither run moves (seen in this lab, where the
cleared run stayed queued for good). depends_on_past, not max_active_runs, is what keeps the order here.

Airflow 3's backfill checks the same setting: it refuses to run such a DAG backwards, and refuses to skip
the days that already have runs (reprocess behaviour "none", the UI's default), since a day that depends on
its past cannot be run around it.
"""

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable

from daily_upsert import export_and_upsert_day
from lab_settings import CATCHUP_END_DATE, CATCHUP_START_DATE

# [START in_order]
with DAG(
    dag_id="MySQL_to_Redshift_v2_in_order",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.parse(CATCHUP_START_DATE),
    end_date=pendulum.parse(CATCHUP_END_DATE),
    catchup=True,
    max_active_runs=2,
    default_args={"depends_on_past": True},
    is_paused_upon_creation=True,
    tags=["course", "backfill", "depends_on_past"],
) as dag:
    export_and_upsert_day()
# [END in_order]
