"""lab.notebook, the notebooks' helpers, against real MySQL, the Redshift emulator and an S3 server.

The Airflow side (run_dag, run_tasks, backfill, task_log) runs for real in tests/notebooks/, which runs
every notebook.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
import pytest

from lab import notebook as nb
from tests.services import mysql_connect

DAY_1, DAY_2, DAY_3 = date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)
SCHEMA = "nb_helpers"


@pytest.fixture(scope="module")
def lab(lab_env, source_database, mysql_url):
    """The helpers pointed at this session's services, with a small `nps` on both sides.

    Source: 3 rows on DAY_1, 2 on DAY_2. Warehouse (schema nb_helpers): DAY_1's rows, one with another score.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**lab_env, "LAB_WAREHOUSE_SCHEMA": SCHEMA}.items():
            patch.setenv(name, value)
        with mysql_connect(mysql_url, source_database, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS nps")
            cur.execute("CREATE TABLE nps (id INT PRIMARY KEY, created_at timestamp NULL, score smallint)")
            cur.execute(
                "INSERT INTO nps VALUES (1, '2024-01-01 08:00:00', 9), (2, '2024-01-01 12:00:00', 3),"
                " (3, '2024-01-01 23:59:59', 10), (4, '2024-01-02 00:00:00', 7),"
                " (5, '2024-01-02 18:30:00', 0)"
            )
        nb.change_warehouse(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        nb.change_warehouse(f"CREATE SCHEMA {SCHEMA}")
        nb.change_warehouse(
            f"CREATE TABLE {SCHEMA}.nps (id INT NOT NULL, created_at timestamp, score smallint)"
        )
        nb.change_warehouse(
            f"INSERT INTO {SCHEMA}.nps VALUES (1, '2024-01-01 08:00:00', 9), (2, '2024-01-01 12:00:00', 4),"
            " (3, '2024-01-01 23:59:59', 10)"
        )
        yield nb.settings()


def test_source_and_warehouse_come_back_as_dataframes(lab):
    source = nb.source("SELECT id, created_at, score FROM nps WHERE score >= %s ORDER BY id", (7,))
    assert list(source.columns) == ["id", "created_at", "score"]
    assert source["id"].tolist() == [1, 3, 4]
    assert source["created_at"][0] == datetime(2024, 1, 1, 8)

    warehouse = nb.warehouse(f"SELECT id, score FROM {SCHEMA}.nps WHERE id = %s", (2,))
    assert warehouse.to_dict("records") == [{"id": 2, "score": 4}]
    assert nb.row_count("source") == 5
    assert nb.row_count("warehouse") == 3


def test_compare_finds_missing_extra_and_changed_rows():
    source = pd.DataFrame({"id": [1, 2, 3, 4], "score": [9, 3, None, 1], "deleted": [0, 1, 0, 0]})
    warehouse = pd.DataFrame(
        {"id": [4, 3, 2, 5], "score": [1, None, 4, 8], "deleted": [False, False, True, False]}
    )
    comparison = nb.compare(source, warehouse)
    assert (comparison.missing, comparison.extra, comparison.changed) == ([1], [5], [2])
    assert not comparison.equal
    assert "1 missing" in str(comparison) and "ids [5]" in str(comparison)

    same = nb.compare(source, source.iloc[::-1].assign(deleted=source["deleted"].astype(bool)))
    assert same.equal, str(same)
    assert str(same) == "equal: 4 rows on both sides"


def test_rows_of_a_day_use_a_half_open_window(lab):
    assert nb.day_rows("source", DAY_1)["id"].tolist() == [1, 2, 3]
    assert nb.day_rows("source", DAY_2)["id"].tolist() == [4, 5]
    assert nb.day_rows("warehouse", DAY_2).empty
    assert nb.source_days() == [DAY_1, DAY_2]
    assert nb.next_day() == DAY_3
    with pytest.raises(ValueError, match="side must be"):
        nb.day_rows("mysql", DAY_1)


def test_daily_counts_put_both_sides_on_every_day(lab):
    counts = nb.daily_counts(DAY_1, DAY_3)
    assert counts.to_dict("index") == {
        DAY_1: {"source": 3, "warehouse": 3},
        DAY_2: {"source": 2, "warehouse": 0},
        DAY_3: {"source": 0, "warehouse": 0},
    }
    frame = nb.source("SELECT id, created_at FROM nps")
    assert nb.per_day(frame).to_dict() == {DAY_1: 3, DAY_2: 2}


def test_objects_and_their_text(lab, s3):
    s3.put_object(Bucket=lab.bucket, Key="nb-helpers/a.csv", Body=b"1,2024-01-01 08:00:00,9\n")
    s3.put_object(Bucket=lab.bucket, Key="nb-helpers/b.csv", Body=b"")
    listed = nb.objects("nb-helpers/")
    assert listed[["key", "size"]].to_dict("records") == [
        {"key": "nb-helpers/a.csv", "size": 24},
        {"key": "nb-helpers/b.csv", "size": 0},
    ]
    assert nb.object_text("nb-helpers/a.csv") == "1,2024-01-01 08:00:00,9\n"
    assert nb.objects("no-such-prefix/").empty


def test_a_refused_copy_shows_in_history_masked_and_in_load_errors(lab, s3):
    s3.upload_fileobj(
        io.BytesIO(b"6,2024-01-03 10:00:00,8\n7,2024-01-03 11:00:00,n/a\n"), lab.bucket, "bad/nps.csv"
    )
    mark = nb.history_mark()
    copy = (
        f"COPY {SCHEMA}.nps FROM 's3://{lab.bucket}/bad/nps.csv' credentials"
        f" 'aws_access_key_id={lab.aws_access_key_id};aws_secret_access_key=s3cr3t-value' csv"
    )
    with pytest.raises(Exception, match="stl_load_errors"):
        nb.change_warehouse(copy)

    history = nb.query_history(after=mark, like="COPY%")
    assert len(history) == 1, history
    assert history["status"][0] == "failed"
    assert "s3cr3t-value" not in history["query_text"][0]
    assert f"s3://{lab.bucket}/bad/nps.csv" in history["query_text"][0]

    errors = nb.load_errors("nps")
    latest = errors.iloc[0]
    assert (latest["colname"], latest["raw_field_value"], latest["line_number"]) == ("score", "n/a", 2)
    assert latest["filename"].endswith("bad/nps.csv")
    assert nb.row_count("warehouse") == 3, "a failed COPY loads nothing"


def test_copy_from_s3_with_maxerror_skips_the_bad_row(lab, s3):
    s3.put_object(
        Bucket=lab.bucket,
        Key="maxerror/nps.csv",
        Body=b"8,2024-01-03 10:00:00,8\n9,2024-01-03 11:00:00,n/a\n",
    )
    nb.change_warehouse(f"CREATE TABLE {SCHEMA}.nps_maxerror (LIKE {SCHEMA}.nps)")
    assert nb.copy_from_s3(f"{SCHEMA}.nps_maxerror", "maxerror/nps.csv", "csv maxerror 1") == 1
    assert nb.warehouse(f"SELECT id FROM {SCHEMA}.nps_maxerror")["id"].tolist() == [8]
    skipped = nb.load_errors("nps_maxerror")
    assert skipped[["line_number", "raw_field_value"]].to_dict("records") == [
        {"line_number": 2, "raw_field_value": "n/a"}
    ]


def test_snippet_quotes_the_marked_code_dedented():
    code = nb.snippet("dags/mysql_to_redshift.py", "full_refresh_copy")
    assert code.startswith("copy_nps = S3ToRedshiftOperator(\n")
    assert 'method="REPLACE",' in code
    whole = nb.snippet("dags/mysql_to_redshift.py", "full_refresh")
    assert "[START" not in whole and code.splitlines()[0] in whole
    with pytest.raises(ValueError, match="no snippet 'nothing'"):
        nb.snippet("dags/mysql_to_redshift.py", "nothing")


def test_watch_prints_each_change_once_and_returns_runs_in_order():
    states = {
        "a": iter(["queued", "running", "running", "success"]),
        "b": iter(["running", "failed"]),
    }
    tasks = {"a": iter([{"t": None}, {"t": "running"}, {"t": "running"}, {"t": "success"}])}
    out = io.StringIO()
    runs = nb.watch(
        lambda run_id: {"dag_run_id": run_id, "state": next(states[run_id])},
        lambda run_id: next(tasks[run_id]) if run_id in tasks else {},
        ["a", "b"],
        timeout=10,
        poll_seconds=0,
        out=out,
    )
    assert [(run["dag_run_id"], run["state"]) for run in runs] == [("a", "success"), ("b", "failed")]
    lines = [line.split(None, 1)[1] for line in out.getvalue().splitlines()]
    assert lines == [
        "a  (run): queued",
        "a  t: None",
        "b  (run): running",
        "a  (run): running",
        "a  t: running",
        "b  (run): failed",
        "a  (run): success",
        "a  t: success",
    ]


def test_watch_gives_up_with_a_hint():
    with pytest.raises(TimeoutError, match="is the DAG paused"):
        nb.watch(lambda run_id: {"state": "queued"}, lambda run_id: {}, ["a"], timeout=0, out=io.StringIO())


def test_a_failing_lab_command_raises(lab, capsys):
    with pytest.raises(RuntimeError, match="exited with code 2"):
        nb.lab("seed", "tick", "--date", "someday")
    assert "is not a date" in capsys.readouterr().err


def test_a_peer_that_is_starting_is_waited_for(monkeypatch, capsys):
    monkeypatch.setattr(nb, "POLL_SECONDS", 0.01)
    answers = iter([ConnectionRefusedError("refused"), ConnectionRefusedError("refused"), "answer"])

    def attempt():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert nb.when_up("airflow", "http://airflow:8080", attempt, lambda error: True) == "answer"
    assert capsys.readouterr().out.count("waiting for airflow at http://airflow:8080") == 1


def test_a_peer_that_never_answers_is_named_with_its_log(monkeypatch):
    monkeypatch.setattr(nb, "PEER_WAIT", 0.05)
    monkeypatch.setattr(nb, "POLL_SECONDS", 0.01)
    monkeypatch.setenv("LAB_RUNTIME", "compose")

    def refused():
        raise ConnectionRefusedError("refused")

    with pytest.raises(
        nb.PeerUnavailable,
        match=r"airflow does not answer at http://airflow:8080 .*docker compose logs airflow",
    ):
        nb.when_up("airflow", "http://airflow:8080", refused, lambda error: True)


def test_errors_that_are_not_about_reaching_a_peer_are_not_waited_on():
    def wrong_password():
        raise PermissionError("28P01 password authentication failed")

    with pytest.raises(PermissionError):
        nb.when_up(
            "redshift", "redshift:5439", wrong_password, lambda error: isinstance(error, ConnectionError)
        )
