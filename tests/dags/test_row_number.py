"""`MySQL_to_Redshift_row_number` through Airflow: one live row per id, the latest, after every day."""

from datetime import timedelta

from seed import changes, source
from tests.dags.conftest import AFTER_SEED, FIRST_DAY, ROWS_PER_DAY, SEED, run_dag, task_states

DAG_ID = "MySQL_to_Redshift_row_number"
DAY1, DAY2 = FIRST_DAY, FIRST_DAY + timedelta(days=1)
LIVE_MODIFIED_ON = "SELECT * FROM nps_changes WHERE NOT deleted AND DATE(modified) IN %s ORDER BY id"


def expected(tables, *days):
    """What the warehouse holds after runs for ``days``: the live source rows last modified on one of them."""
    return tables.source(LIVE_MODIFIED_ON, [day.isoformat() for day in days])


def test_row_number_keeps_the_latest_live_row_of_each_id(
    airflow_lab, dag_tester, empty_warehouse, tables, settings
):
    run_dag(dag_tester, DAG_ID, DAY1)
    run_dag(dag_tester, DAG_ID, DAY2)
    assert tables.warehouse("nps_changes") == expected(tables, DAY1, DAY2)

    # A day of production: rows created, older ones modified, some soft-deleted.
    day = AFTER_SEED
    with source.connect(settings.mysql) as conn:
        result = changes.tick(conn, day, ROWS_PER_DAY * 5, SEED)
    assert result.modified and result.deleted
    run_dag(dag_tester, DAG_ID, day)
    after_day = tables.warehouse("nps_changes")
    assert after_day == expected(tables, DAY1, DAY2, day)
    ids = [row[0] for row in after_day]
    assert len(ids) == len(set(ids))
    assert not any(row[4] for row in after_day)
    assert task_states(airflow_lab, DAG_ID, day)["drop_temp_nps_changes"] == "success"

    run_dag(dag_tester, DAG_ID, day)
    assert tables.warehouse("nps_changes") == after_day


def test_a_bad_row_fails_the_copy_leaves_the_warehouse_and_a_corrected_run_succeeds(
    airflow_lab, dag_tester, empty_warehouse, tables
):
    run_dag(dag_tester, DAG_ID, DAY1)
    before = tables.warehouse("nps_changes")
    bad_day = FIRST_DAY + timedelta(days=20)
    # An application bug writes 2 into the boolean `deleted` (MySQL's boolean is a tinyint): MySQL takes
    # it, Redshift's COPY rejects it.
    tables.change_source(
        "INSERT INTO nps_changes (created_at, score, modified, deleted)"
        " VALUES (%s, 9, %s, 0), (%s, 3, %s, 2)",
        *[f"{bad_day} 10:00:00"] * 2,
        *[f"{bad_day} 11:00:00"] * 2,
    )

    run_dag(dag_tester, DAG_ID, bad_day, succeeds=False)
    states = task_states(airflow_lab, DAG_ID, bad_day)
    assert states["s3_to_temp_nps_changes"] == "failed"
    assert states["keep_latest_nps_changes"] == "upstream_failed"
    assert tables.warehouse("nps_changes") == before

    tables.change_source("UPDATE nps_changes SET deleted = true WHERE deleted = 2")
    run_dag(dag_tester, DAG_ID, bad_day)
    assert tables.warehouse("nps_changes") == expected(tables, DAY1, bad_day)
    assert len(tables.warehouse("nps_changes")) == len(before) + 1
