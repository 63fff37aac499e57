"""Each check of the scheduling lessons (notebooks 09-11) fails when its lesson's behaviour is broken.

The notebooks run each check on the behaviour they teach (tests/notebooks/test_notebooks.py); here each
check is handed the real runs of a DAG, in the notebooks' lab, that lacks that behaviour: catchup=False
for the catch-up check, catchup=True for the "only the latest" check, overlapping runs for the "one at a
time" check, a catch-up's one-after-another runs for the overlap check, a DAG without depends_on_past
for the waiting check, and a backwards backfill for the date-order check.
"""

from __future__ import annotations

import pytest

import lab_settings
from lab import notebook as nb

CATCHUP = "MySQL_to_Redshift_v2_catchup"
NO_CATCHUP = "MySQL_to_Redshift_v2_no_catchup"
ONE_KEY = "MySQL_to_Redshift_v2_one_key"
V2 = "MySQL_to_Redshift_v2"
pytestmark = pytest.mark.slow


@pytest.fixture
def lab_env(notebook_lab, monkeypatch):
    """The notebooks' lab, for the nb helpers of this process."""
    for name, value in notebook_lab.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def window(lab_env):
    first, last = nb.dag_window(CATCHUP)
    nb.ensure_source_days(nb.days_between(first, last))
    return first, last


def scheduled_once(dag_id: str, count: int) -> list[dict]:
    nb.forget_runs(dag_id)
    nb.unpause(dag_id)
    try:
        return nb.scheduled_runs(dag_id, count)
    finally:
        nb.pause(dag_id)


def test_the_catch_up_check_fails_on_a_dag_with_catchup_false(window):
    with pytest.raises(AssertionError, match="one run per day"):
        nb.check_catchup(scheduled_once(NO_CATCHUP, 1), *window)


def test_the_only_the_latest_and_overlap_checks_fail_on_a_catch_up_one_day_at_a_time(window):
    caught_up = scheduled_once(CATCHUP, 3)
    nb.check_catchup(caught_up, *window)  # the catch-up itself is sound: one day after the other
    with pytest.raises(AssertionError, match="latest complete day"):
        nb.check_only_latest(caught_up, today=window[1])
    with pytest.raises(AssertionError, match="should overlap"):
        nb.check_overlapped(caught_up)


def test_the_one_at_a_time_check_fails_on_a_backfill_of_three_at_once(window):
    nb.forget_runs(ONE_KEY)
    with pytest.raises(AssertionError, match="one at a time"):
        nb.check_one_at_a_time(nb.backfill(ONE_KEY, *window, max_active_runs=3))


def test_the_waiting_check_fails_where_a_task_does_not_depend_on_its_past(window):
    """MySQL_to_Redshift_v2 has no depends_on_past: its load runs whatever the day before did."""
    first, _ = window
    nb.run_dag(V2, first)
    run_id = nb.run_for(V2, first)["dag_run_id"]
    reasons = nb.waits_for(V2, first, "s3_to_redshift_nps")
    with pytest.raises(AssertionError, match="should wait"):
        nb.check_waits_for_past(nb.task_states(V2, run_id), "s3_to_redshift_nps", reasons)


def test_the_date_order_check_fails_on_a_backwards_backfill(window):
    """Without depends_on_past, Airflow 3 backfills backwards when asked: the days end latest first."""
    nb.forget_runs(V2)
    nb.unpause(V2)
    first, last = window
    nb.airflow_cli(
        "backfill",
        "create",
        *("--dag-id", V2, "--from-date", first.isoformat(), "--to-date", last.isoformat()),
        *("--run-backwards", "--max-active-runs", "1", "--reprocess-behavior", "completed"),
    )
    backwards = nb.scheduled_runs(V2, len(nb.days_between(first, last)))
    with pytest.raises(AssertionError, match="ended before an earlier day"):
        nb.check_in_date_order(backwards)


def test_the_window_is_the_lab_settings_one(window):
    assert [day.isoformat() for day in window] == [
        lab_settings.CATCHUP_START_DATE,
        lab_settings.CATCHUP_END_DATE,
    ]
