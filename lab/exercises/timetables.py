"""The runs a daily DAG of the lab gets, as Airflow's own code works them out: its timetable
(CronDataIntervalTimetable("@daily", UTC), as in dags/mysql_to_redshift_v2.py) asked for the next run
after the last one, within a TimeRestriction, as the scheduler and a backfill ask it (lessons 04 and 09)."""

from __future__ import annotations

from datetime import date, datetime

import pendulum
from airflow.timetables.base import DagRunInfo, TimeRestriction
from airflow.timetables.interval import CronDataIntervalTimetable


def daily_runs(
    earliest: date, latest: date | None, catchup: bool, started_by: datetime | None = None
) -> list[DagRunInfo]:
    """The runs from ``earliest`` to ``latest`` (both included; None: no end), with ``catchup``; with
    ``started_by``, only those that may have started by then (a run may start once its interval is over)."""
    timetable = CronDataIntervalTimetable("@daily", timezone="UTC")
    bounds = [
        pendulum.datetime(day.year, day.month, day.day, tz="UTC") if day else None
        for day in (earliest, latest)
    ]
    restriction = TimeRestriction(earliest=bounds[0], latest=bounds[1], catchup=catchup)
    runs: list[DagRunInfo] = []
    interval = None
    while info := timetable.next_dagrun_info(last_automated_data_interval=interval, restriction=restriction):
        if started_by is not None and info.run_after > started_by:
            break
        runs.append(info)
        interval = info.data_interval
    return runs
