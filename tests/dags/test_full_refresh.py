"""`MySQL_to_Redshift` through Airflow: the warehouse ends equal to the source, and stays so on a re-run."""

from tests.dags.conftest import FIRST_DAY, run_dag

DAG_ID = "MySQL_to_Redshift"


def test_full_refresh_copies_the_source_row_for_row_and_is_idempotent(dag_tester, empty_warehouse, tables):
    source = tables.source("SELECT * FROM nps ORDER BY id")
    assert len(source) > 50

    run_dag(dag_tester, DAG_ID, FIRST_DAY)
    assert tables.warehouse("nps") == source

    run_dag(dag_tester, DAG_ID, FIRST_DAY)
    assert tables.warehouse("nps") == source
