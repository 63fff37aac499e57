"""Lesson 04's exercise: which runs does a backfill from 2024-01-02 to 2024-01-04 create?

The answer comes from Airflow's own code: the DAG's timetable (CronDataIntervalTimetable("@daily", UTC),
as in dags/mysql_to_redshift_v2.py) gives each day its data interval and its run_after (the interval's
end), and a backfill names its run after run_after (DagRun.generate_run_id in airflow/models/dagrun.py).
"""

from __future__ import annotations

from datetime import date

from airflow.utils.types import DagRunType

from lab.exercises import exercise, right, wrong
from lab.exercises.timetables import daily_runs

FROM_DATE, TO_DATE = date(2024, 1, 2), date(2024, 1, 4)


def backfill_runs(first: date, last: date) -> list[tuple[str, str]]:
    """(logical date, run id) of each run a backfill from ``first`` to ``last`` (both included) creates."""
    return [
        (
            run.data_interval.start.date().isoformat(),
            DagRunType.BACKFILL_JOB.generate_run_id(suffix=run.run_after.isoformat()),
        )
        for run in daily_runs(first, last, catchup=True)
    ]


@exercise("04.1")
def backfill_range(logical_dates: list, run_ids: list):
    expected = backfill_runs(FROM_DATE, TO_DATE)
    expected_dates = [day for day, _ in expected]
    expected_ids = [run_id for _, run_id in expected]
    if [str(day) for day in logical_dates] != expected_dates:
        return wrong(
            f"논리적 날짜가 {list(logical_dates)}입니다. Airflow 3의 backfill은 --from-date와 --to-date를 "
            "둘 다 포함하고, 날짜마다 실행을 하나 만듭니다.",
            f"the logical dates are {list(logical_dates)}: Airflow 3's backfill includes both "
            "--from-date and --to-date, one run per day.",
        )
    if list(run_ids) != expected_ids:
        return wrong(
            f"실행 ID가 {list(run_ids)}입니다. 실행 ID는 논리적 날짜가 아니라 run_after(데이터 구간의 끝, "
            "UI의 '다음 실행')로 짓습니다: backfill__YYYY-MM-DDT00:00:00+00:00.",
            f"the run ids are {list(run_ids)}: a run id is named after run_after (the end of the data "
            "interval, 'Run After' in the UI), not the logical date: backfill__YYYY-MM-DDT00:00:00+00:00.",
        )
    return right()
