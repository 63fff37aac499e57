"""`MySQL_to_Redshift_v2` through Airflow: each run upserts the rows created on its day."""

from datetime import timedelta

from tests.dags.conftest import FIRST_DAY, run_dag

DAG_ID = "MySQL_to_Redshift_v2"
DAY1, DAY2 = FIRST_DAY, FIRST_DAY + timedelta(days=1)
SOURCE_UP_TO = "SELECT * FROM nps WHERE created_at < %s ORDER BY id"
SOURCE_DAY = "SELECT * FROM nps WHERE created_at >= %s AND created_at < %s"


def test_upsert_adds_each_day_and_replaces_changed_rows_without_duplicates(
    dag_tester, empty_warehouse, tables
):
    run_dag(dag_tester, DAG_ID, DAY1)
    assert tables.warehouse("nps") == tables.source(SOURCE_UP_TO, DAY2)

    run_dag(dag_tester, DAG_ID, DAY2)
    loaded = tables.warehouse("nps")
    assert loaded == tables.source(SOURCE_UP_TO, DAY2 + timedelta(days=1))
    assert {row[1].date() for row in loaded} == {DAY1, DAY2}

    # Production corrects a response of day 2; re-running day 2 replaces that row and duplicates none.
    changed_id = next(row[0] for row in loaded if row[1].date() == DAY2)
    tables.change_source("UPDATE nps SET score = MOD(score + 5, 11) WHERE id = %s", changed_id)
    run_dag(dag_tester, DAG_ID, DAY2)
    upserted = tables.warehouse("nps")
    assert upserted == tables.source(SOURCE_UP_TO, DAY2 + timedelta(days=1))
    assert upserted != loaded

    run_dag(dag_tester, DAG_ID, DAY2)
    assert tables.warehouse("nps") == upserted


def test_a_day_without_rows_succeeds_and_changes_nothing(dag_tester, empty_warehouse, tables, s3, bucket):
    run_dag(dag_tester, DAG_ID, DAY1)
    before = tables.warehouse("nps")
    # After the DAG's start date (a run before it has no tasks to run), and a day without responses.
    empty_day = FIRST_DAY + timedelta(days=40)
    assert tables.source(SOURCE_DAY, empty_day, empty_day + timedelta(days=1)) == []

    run_dag(dag_tester, DAG_ID, empty_day)
    assert tables.warehouse("nps") == before
    # SqlToS3Operator uploads an empty CSV for an empty result; COPY loads nothing from it.
    assert s3.head_object(Bucket=bucket, Key=f"daily/nps/{empty_day}.csv")["ContentLength"] == 0
