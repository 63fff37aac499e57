"""`Build_Summary` through Airflow: analytics.nps_summary holds each day's NPS of the source, is rebuilt the
same on every run, and a failed check leaves the previous summary as it was."""

import pytest

from lab_settings import ANALYTICS_GROUP, ANALYTICS_SCHEMA, NPS_SUMMARY_TABLE, WAREHOUSE_SCHEMA
from tests.conftest import RUN_ID
from tests.dags.conftest import FIRST_DAY, SEEDED_DAYS, run_dag, task_states
from tests.services import postgres_connect

DAG_ID = "Build_Summary"
SOURCE = f"{WAREHOUSE_SCHEMA}.nps"
SUMMARY = f"{ANALYTICS_SCHEMA}.{NPS_SUMMARY_TABLE}"
TEMP_SUMMARY = f"{ANALYTICS_SCHEMA}.temp_{NPS_SUMMARY_TABLE}"
# The same NPS recomputed by MySQL from prod.nps: promoters (9-10) minus detractors (0-6), in percent of
# all answers, two decimals.
SOURCE_NPS = """
SELECT DATE(created_at),
  ROUND(SUM(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 END) * 100 / COUNT(*), 2),
  ROUND(SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END) * 100 / COUNT(*), 2),
  ROUND(SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END) * 100 / COUNT(*), 2)
FROM nps GROUP BY 1 ORDER BY 1
"""


def source_nps(tables) -> list[tuple]:
    return [(day.isoformat(), *map(float, values)) for day, *values in tables.source(SOURCE_NPS)]


class Warehouse:
    """The warehouse database, straight in PostgreSQL: what the summary holds and who may read it."""

    def __init__(self, url: str):
        self.url = url

    def query(self, sql: str, *params) -> list[tuple]:
        conn = postgres_connect(self.url)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def summary(self) -> list[tuple]:
        rows = self.query(f"SELECT date, nps, promoters, detractors FROM {SUMMARY} ORDER BY date")
        return [(date, *map(float, values)) for date, *values in rows]

    def exists(self, table: str) -> bool:
        return self.query("SELECT to_regclass(%s) IS NOT NULL", table)[0][0]


@pytest.fixture
def warehouse(warehouse_url) -> Warehouse:
    return Warehouse(warehouse_url)


@pytest.fixture
def loaded(dag_tester, empty_warehouse, tables):
    """raw_data.nps loaded with the whole source by the full refresh."""
    run_dag(dag_tester, "MySQL_to_Redshift", FIRST_DAY)
    return tables


def build_summary(dag_tester, succeeds: bool = True) -> None:
    """A run of the summary: its logical date chooses nothing, and a new run of a date replaces the old."""
    run_dag(dag_tester, DAG_ID, FIRST_DAY, succeeds)


def test_the_summary_holds_each_days_nps_and_a_rerun_rebuilds_the_same(dag_tester, loaded, warehouse):
    build_summary(dag_tester)
    summary = warehouse.summary()
    assert summary == source_nps(loaded)
    assert [row[0] for row in summary] == [day.isoformat() for day in SEEDED_DAYS]
    assert not warehouse.exists(TEMP_SUMMARY), "the swap renames the temp table: none should be left"

    build_summary(dag_tester)
    assert warehouse.summary() == summary


def test_an_analyst_of_the_group_may_read_the_summary(dag_tester, loaded, warehouse):
    build_summary(dag_tester)
    analyst = f"lab_test_{RUN_ID}_analyst"
    warehouse.query(f'CREATE ROLE "{analyst}" IN ROLE {ANALYTICS_GROUP}')
    try:
        may_read = warehouse.query(
            "SELECT has_schema_privilege(%s, %s, 'USAGE'), has_table_privilege(%s, %s, 'SELECT')",
            analyst,
            ANALYTICS_SCHEMA,
            analyst,
            SUMMARY,
        )
    finally:
        warehouse.query(f'DROP ROLE "{analyst}"')
    assert may_read == [(True, True)]


def test_a_failing_output_check_keeps_the_previous_summary(airflow_lab, dag_tester, loaded, warehouse):
    build_summary(dag_tester)
    before = warehouse.summary()
    # An answer without a date: the summary gets a row whose date is NULL, one row too many for the days.
    warehouse.query(f"INSERT INTO {SOURCE} SELECT MAX(id) + 1, NULL, 7 FROM {SOURCE}")

    build_summary(dag_tester, succeeds=False)
    states = task_states(airflow_lab, DAG_ID, FIRST_DAY)
    assert (states["check_one_row_per_day"], states["swap_nps_summary"]) == ("failed", "upstream_failed")
    assert "Check: one_row_per_day" in "".join(dag_tester.log)
    assert warehouse.summary() == before
    assert warehouse.query(f"SELECT COUNT(*) FROM {TEMP_SUMMARY} WHERE date IS NULL") == [(1,)]

    warehouse.query(f"DELETE FROM {SOURCE} WHERE created_at IS NULL")
    build_summary(dag_tester)
    assert warehouse.summary() == source_nps(loaded)


def test_an_empty_source_fails_the_input_check_and_keeps_the_previous_summary(
    airflow_lab, dag_tester, loaded, warehouse
):
    build_summary(dag_tester)
    before = warehouse.summary()
    warehouse.query(f"DELETE FROM {SOURCE}")

    build_summary(dag_tester, succeeds=False)
    states = task_states(airflow_lab, DAG_ID, FIRST_DAY)
    assert (states["check_source_has_rows"], states["create_temp_nps_summary"]) == (
        "failed",
        "upstream_failed",
    )
    assert "Check: source_has_rows" in "".join(dag_tester.log)
    assert warehouse.summary() == before
