"""Incremental upsert (the course's `MySQL_to_Redshift_v2`): each run copies the rows created on its day.

The day's two tasks, export and upsert, are in daily_upsert.py (the DAGs of notebooks 09 and 10 load
days the same way).

The schedule gives each scheduled or backfill run the day it is named after as its data interval (Airflow
2's meaning of @daily: the run for day D starts once D is over), so `ds` always names a complete day. A plain
schedule="@daily" would not: Airflow 3 reads a cron schedule as CronTriggerTimetable, whose run for D starts
at the beginning of D with an empty data interval. (A run triggered for logical date D gets the interval that
ends at D; the query reads `ds`, the logical date, so it exports day D all the same.)

Backfill-ready as the course teaches: the run's date chooses the data, one run at a time
(max_active_runs=1), and a re-run replaces its day. catchup=False with end_date at the end of the lab's
calendar (lab_settings.LAB_CALENDAR_END): unpaused, the scheduler starts no run of its own. A backfill does
not need catchup=True (notebook 04); the course's catchup=True is the scheduler's own way of backfilling,
which notebook 09 runs with a DAG of its own.
"""

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable

from daily_upsert import export_and_upsert_day
from lab_settings import LAB_CALENDAR_END, SEED_START_DATE

# [START upsert]
with DAG(
    dag_id="MySQL_to_Redshift_v2",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.parse(SEED_START_DATE),
    end_date=pendulum.parse(LAB_CALENDAR_END),
    catchup=False,
    max_active_runs=1,
    tags=["course", "incremental", "upsert"],
) as dag:
    export_and_upsert_day()
# [END upsert]
