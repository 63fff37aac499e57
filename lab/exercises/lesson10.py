"""Lesson 10's exercise: with depends_on_past and one run at a time, what does a failed day do to the rest?

A backfill from 2024-01-02 to 2024-01-06 of a DAG like MySQL_to_Redshift_v2_in_order (export, then load; every
task depends_on_past), but with max_active_runs=1, where the load of 2024-01-04 fails. Each day's load ends
in one of: success, failed, waiting (its run is running, the task has no state: the day before's load did
not succeed) or not started (no run yet: the one active run allowed is taken). The rules are Airflow's, as
notebook 10 showed them for real: a failed run is no longer active, so the next day's run starts; its load
then waits for ever, holding the only place, so the day after never starts.
"""

from __future__ import annotations

from lab.exercises import exercise, right, wrong

DAYS = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06"]
FAILING_DAY = "2024-01-04"
OUTCOMES = ("success", "failed", "waiting", "not started")


def load_outcomes(days: list[str], failing_day: str) -> dict[str, str]:
    """Each day's load, one active run at a time, in date order."""
    outcomes, blocked = {}, None
    for day in days:
        if blocked == "waiting":
            outcomes[day] = "not started"
        elif blocked == "failed":
            outcomes[day] = blocked = "waiting"
        else:
            outcomes[day] = blocked = "failed" if day == failing_day else "success"
            if blocked == "success":
                blocked = None
    return outcomes


@exercise("10.1")
def failed_day(load_states: dict):
    given = {str(day): state for day, state in load_states.items()}
    if set(given) != set(DAYS) or not set(given.values()) <= set(OUTCOMES):
        return wrong(
            f"날짜 {DAYS} 모두에 {list(OUTCOMES)} 중 하나를 적으세요: {given}",
            f"give every day of {DAYS} one of {list(OUTCOMES)}: {given}",
        )
    expected = load_outcomes(DAYS, FAILING_DAY)
    for day in DAYS:
        if given[day] != expected[day]:
            return wrong(
                f"{day}가 {given[day]}입니다. 실패한 실행은 더 이상 활성이 아니라서"
                " 다음 날의 실행이 시작되고, 그 적재는 전날을 기다리며 하나뿐인 자리를 차지합니다.",
                f"{day} is {given[day]}: a failed run is no longer active, so the next day's run starts, and"
                " its load waits for the day before while holding the only place.",
            )
    return right()
