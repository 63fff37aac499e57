"""What the scheduling lessons (09-11) check about runs, as functions: a check cell calls one, and
tests/notebooks/test_run_checks.py feeds each the runs of a DAG that lacks the behaviour, to see it fail.

Each takes runs as Airflow's REST API gives them (``nb.runs``-like dicts with ``logical_date``,
``run_type``, ``state``, ``start_date``, ``end_date``) and raises AssertionError, in both languages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from itertools import pairwise

from lab.bilingual import say
from lab.notebook.progress import logical_day


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def check_catchup(runs: Sequence[dict], first: date, last: date) -> None:
    """The scheduler made one run per day from ``first`` to ``last``, oldest first, one at a time, and
    each succeeded."""
    made = [logical_day(run) for run in _by_start(runs)]
    expected = days_between(first, last)
    assert made == expected, say(
        f"캐치업은 {first}부터 {last}까지 날마다 실행 하나를 날짜순으로 만들어야 합니다. 만든 실행: {made}",
        f"the catch-up should make one run per day from {first} to {last}, in date order; it made: {made}",
    )
    kinds = sorted({run["run_type"] for run in runs})
    assert kinds == ["scheduled"], say(
        f"실행은 스케줄러가 만든 것(scheduled)이어야 합니다: {kinds}",
        f"the runs should be the scheduler's (scheduled): {kinds}",
    )
    _check_all_succeeded(runs)
    check_one_at_a_time(runs)


def check_only_latest(runs: Sequence[dict], today: date) -> None:
    """catchup=False: the scheduler made a single run, for the latest complete day (yesterday)."""
    made = [logical_day(run) for run in runs]
    yesterday = today - timedelta(days=1)
    assert made == [yesterday], say(
        f"catchup=False면 스케줄러는 가장 최근에 끝난 날({yesterday})의 실행 하나만 만듭니다."
        f" 만든 실행: {made}",
        f"with catchup=False the scheduler makes one run, for the latest complete day ({yesterday});"
        f" it made: {made}",
    )
    assert runs[0]["run_type"] == "scheduled", say(
        f"실행은 스케줄러가 만든 것이어야 합니다: {runs[0]['run_type']}",
        f"the run should be the scheduler's: {runs[0]['run_type']}",
    )


def most_at_once(runs: Sequence[dict]) -> int:
    """The largest number of runs that were running at the same moment."""
    events = sorted(
        [(_time(run["start_date"]), 1) for run in runs] + [(_time(run["end_date"]), -1) for run in runs]
    )  # at the same instant an end sorts before a start: a run that starts as another ends does not overlap
    running = most = 0
    for _, change in events:
        running += change
        most = max(most, running)
    return most


def check_one_at_a_time(runs: Sequence[dict]) -> None:
    """No two runs were running at once: each started after the one before it had ended."""
    most = most_at_once(runs)
    assert most == 1, say(
        f"실행이 한 번에 하나씩 돌아야 하는데 {most}개가 동시에 돌았습니다",
        f"the runs should go one at a time, yet {most} ran at once",
    )


def check_overlapped(runs: Sequence[dict]) -> None:
    """At least two runs were running at the same moment."""
    most = most_at_once(runs)
    assert most >= 2, say(
        f"실행들이 겹쳐야 하는데 한 번에 {most}개만 돌았습니다",
        f"the runs should overlap, yet at most {most} ran at once",
    )


def check_waits_for_past(states: dict[str, str | None], task_id: str, reasons: Sequence[str]) -> None:
    """``task_id`` has no state while the rest of its run has succeeded, and Airflow's reason for the wait
    is depends_on_past: the same task of the previous run did not succeed."""
    assert states.get(task_id) is None, say(
        f"{task_id}는 전날의 같은 태스크를 기다려야 하는데 상태가 {states.get(task_id)}입니다: {states}",
        f"{task_id} should wait for the day before's same task,"
        f" yet its state is {states.get(task_id)}: {states}",
    )
    assert any("depends_on_past" in reason for reason in reasons), say(
        f"기다리는 이유가 depends_on_past여야 합니다. Airflow가 준 이유: {list(reasons)}",
        f"the reason for the wait should be depends_on_past; Airflow gives: {list(reasons)}",
    )


def check_in_date_order(runs: Sequence[dict]) -> None:
    """Each run (by logical date) ended after the one before it: the days finished in date order."""
    ordered = sorted(runs, key=lambda run: run["logical_date"])
    ends = [(logical_day(run), _time(run["end_date"])) for run in ordered]
    late = [(earlier, later) for (earlier, a), (later, b) in pairwise(ends) if b < a]
    assert not late, say(
        f"뒤 날짜의 실행이 앞 날짜보다 먼저 끝났습니다: {late}",
        f"a later day's run ended before an earlier day's: {late}",
    )
    _check_all_succeeded(runs)


def _check_all_succeeded(runs: Sequence[dict]) -> None:
    failed = {str(logical_day(run)): run["state"] for run in runs if run["state"] != "success"}
    assert not failed, say(f"성공하지 않은 실행: {failed}", f"runs that did not succeed: {failed}")


def _by_start(runs: Sequence[dict]) -> list[dict]:
    return sorted(runs, key=lambda run: _time(run["start_date"]))


def _time(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
