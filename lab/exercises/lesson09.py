"""Lesson 09's exercise: which runs does the scheduler make once a DAG is unpaused?

The answer comes from Airflow's own code, as the scheduler works it out: the DAG's timetable
(CronDataIntervalTimetable("@daily", UTC), as in dags/mysql_to_redshift_catchup.py) asked for its next run
after the last one, within the DAG's start_date, end_date and catchup (TimeRestriction), until it has none
that may start by now.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from lab.exercises import exercise, right, wrong
from lab.exercises.timetables import daily_runs

START_DATE, END_DATE = date(2024, 1, 5), date(2024, 1, 7)


def scheduled_days(start: date, end: date | None, catchup: bool) -> list[str]:
    """The logical dates of the runs the scheduler makes by now for a DAG unpaused today."""
    runs = daily_runs(start, end, catchup=catchup, started_by=datetime.now(UTC))
    return [run.data_interval.start.date().isoformat() for run in runs]


@exercise("09.1")
def runs_on_unpause(catchup_days: list, no_catchup_runs: int):
    expected = scheduled_days(START_DATE, END_DATE, catchup=True)
    if [str(day) for day in catchup_days] != expected:
        return wrong(
            f"catchup=True의 논리적 날짜가 {list(catchup_days)}입니다. 스케줄러는 start_date부터 end_date까지"
            " (둘 다 포함) 날마다 실행을 하나씩 만듭니다.",
            f"the logical dates with catchup=True are {list(catchup_days)}: the scheduler makes one run per"
            " day from start_date to end_date, both included.",
        )
    if no_catchup_runs != len(scheduled_days(START_DATE, None, catchup=False)):
        return wrong(
            f"catchup=False의 실행 수가 {no_catchup_runs}입니다. catchup=False면 지난 구간은 건너뛰고"
            " 가장 최근에 끝난 구간만 실행합니다.",
            f"the number of runs with catchup=False is {no_catchup_runs}: with catchup=False the past"
            " intervals are skipped and only the latest complete one runs.",
        )
    return right()
