"""Airflow for the DAG tests: one metadata database and AIRFLOW_HOME per session, and the data the DAGs move.

The source is seeded once per session (a week from the seed's start date, a dozen rows a day); each test
starts from empty warehouse tables and compares them with the source, row for row.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

import lab_settings
from lab import airflow, processes
from lab.config import DatabaseUrl, load_settings
from lab.dag_tester import DagTester
from seed import commands as seed_commands
from seed import nps, warehouse
from tests.conftest import RUN_ID, TEST_LOG_DIR
from tests.services import mysql_connect, postgres_connect

FIRST_DAY = date.fromisoformat(lab_settings.SEED_START_DATE)
SEEDED_DAYS = nps.days(FIRST_DAY, 7)
AFTER_SEED = FIRST_DAY + timedelta(days=len(SEEDED_DAYS))
ROWS_PER_DAY = 12
SEED = 2024


@pytest.fixture(scope="session")
def airflow_lab(lab_env, postgres_url) -> airflow.Airflow:
    """Airflow configured as the lab configures it, on this session's services, metadata database migrated."""
    database = f"lab_test_{RUN_ID}_airflow"
    lab = airflow.configure(
        {**lab_env, "LAB_AIRFLOW_PORT": str(processes.free_port())},
        home=TEST_LOG_DIR / "airflow",
        metadata_database=database,
    )
    lab.migrate()
    yield lab
    conn = postgres_connect(postgres_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    conn.close()


@pytest.fixture(scope="session")
def settings(lab_env):
    return load_settings(lab_env)


@pytest.fixture(scope="session")
def seeded_source(settings):
    """prod.nps and prod.nps_changes with SEEDED_DAYS of rows."""
    seed_commands.seed_source(settings, SEEDED_DAYS, ROWS_PER_DAY, SEED)
    return settings.mysql


@pytest.fixture
def empty_warehouse(settings, seeded_source):
    """Empty warehouse tables, created through the emulator as `lab seed warehouse --reset` does."""
    warehouse.create(settings, reset=True)
    return settings


class Tables:
    """Reads both sides straight from their servers, for comparing row for row."""

    def __init__(self, mysql: DatabaseUrl, warehouse_url: str, schema: str):
        self.mysql = mysql
        self.warehouse_url = warehouse_url
        self.schema = schema

    def source(self, sql: str, *params) -> list[tuple]:
        with mysql_connect(str(self.mysql), self.mysql.database) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return [tuple(row) for row in cur.fetchall()]

    def change_source(self, sql: str, *params) -> None:
        with mysql_connect(str(self.mysql), self.mysql.database) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            conn.commit()

    def warehouse(self, table: str) -> list[tuple]:
        conn = postgres_connect(self.warehouse_url)
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT * FROM {self.schema}.{table} ORDER BY id")
                return [tuple(row) for row in cur.fetchall()]
        finally:
            conn.close()


@pytest.fixture(scope="session")
def tables(seeded_source, warehouse_url, settings) -> Tables:
    return Tables(seeded_source, warehouse_url, settings.warehouse_schema)


@pytest.fixture(scope="session")
def dag_tester(airflow_lab) -> DagTester:
    with airflow_lab.dag_tester() as tester:
        yield tester


def run_dag(tester: DagTester, dag_id: str, day: date, succeeds: bool = True) -> None:
    """Run ``dag_id`` for ``day`` with ``dag.test()``; fail the test unless it ends as expected."""
    state = tester.run(dag_id, day, timeout=240)
    expected = "success" if succeeds else "failed"
    assert state == expected, f"{dag_id} for {day} ended {state}:\n{''.join(tester.log[-80:])}"


def task_states(airflow_lab: airflow.Airflow, dag_id: str, day: date) -> dict[str, str]:
    """Each task's state in the latest run of ``dag_id`` for ``day``, from the metadata database."""
    url = airflow_lab.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].replace("+psycopg2", "")
    conn = postgres_connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT ti.task_id, ti.state FROM task_instance ti JOIN dag_run dr"
                " ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id"
                " WHERE dr.dag_id = %s AND dr.logical_date::date = %s",
                (dag_id, day),
            )
            return dict(cur.fetchall())
    finally:
        conn.close()
