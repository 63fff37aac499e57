"""`MySQL_to_Redshift_row_number` through Airflow: one live row per id, the latest, after every day."""

import importlib.util
import re
from datetime import timedelta

from airflow.sdk import macros

from lab.config import REPO_ROOT
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


def rendered_work_tables(day) -> dict[str, set[str]]:
    """Each task's rendered SQL and table for the run of ``day``: the temp_nps_changes names it mentions."""
    spec = importlib.util.spec_from_file_location(
        "row_number_dag", REPO_ROOT / "dags" / "mysql_to_redshift_row_number.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    context = {"ds": day.isoformat(), "ds_nodash": day.strftime("%Y%m%d"), "macros": macros}
    names = {}
    for task in module.dag.tasks:
        fields = [
            getattr(task, field) for field in task.template_fields if field in ("sql", "table", "query")
        ]
        text = " ".join(str(task.render_template(field, context)) for field in fields)
        names[task.task_id] = set(re.findall(r"temp_nps_changes\w*", text))
    return names


def test_each_run_has_a_work_table_of_its_own():
    """Two runs at once (a backfill with max_active_runs above 1) must not share temp_A: with one shared
    table, one run's DROP/CREATE wipes the rows the other just COPYed, and ROW_NUMBER keeps the wrong day."""
    first, second = rendered_work_tables(DAY1), rendered_work_tables(DAY2)
    steps = [
        "copy_nps_changes_to_temp",
        "s3_to_temp_nps_changes",
        "keep_latest_nps_changes",
        "drop_temp_nps_changes",
    ]
    for names in (first, second):
        assert all(len(names[step]) == 1 for step in steps), names
        assert len(set().union(*(names[step] for step in steps))) == 1, f"one run, one work table: {names}"
    assert first["copy_nps_changes_to_temp"].isdisjoint(second["copy_nps_changes_to_temp"]), (
        f"the runs of {DAY1} and {DAY2} share a work table: {first['copy_nps_changes_to_temp']}"
    )
