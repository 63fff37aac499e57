"""S3ToRedshiftOperator's statements, verbatim, through redshift_connector as DbApiHook.run sends them
(autocommit off, one cursor, one execute per statement, then commit), and one real operator run."""

from __future__ import annotations

from contextlib import closing

import pytest
import redshift_connector
from airflow.providers.amazon.aws.transfers.s3_to_redshift import S3ToRedshiftOperator

import lab_settings
from lab.config import load_settings
from tests.emulator.wire_helpers import (
    NPS_ROWS,
    TEST_KEYS,
    load_errors,
    nps_table,
    redshift_connect,
    table_rows,
    unique,
)

EXISTING = [(1, "2023-12-31 00:00:00", 1), (9, "2023-12-31 09:00:00", 9)]
LOADED = [(1, "2024-01-01 10:00:00", 9), (2, "2024-01-02 11:30:00", 7), (3, "2024-01-03 12:45:00", 10)]


def operator_statements(method: str, table: str, bucket: str, key: str) -> list[str] | str:
    """The statement list S3ToRedshiftOperator.execute builds for ``method`` (upsert key: id)."""
    schema, name = table.split(".")
    operator = S3ToRedshiftOperator(
        task_id=unique("copy"), schema=schema, table=name, s3_bucket=bucket, s3_key=key, copy_options=["csv"]
    )
    copy_destination = f"#{name}" if method == "UPSERT" else table
    copy = operator._build_copy_query(copy_destination, TEST_KEYS, "region 'us-east-1'", "csv")
    if method == "REPLACE":
        return ["BEGIN;", f"DELETE FROM {table};", copy, "COMMIT"]
    if method == "UPSERT":
        return [
            f"CREATE TABLE {copy_destination} (LIKE {table} INCLUDING DEFAULTS);",
            copy,
            "BEGIN;",
            f"DELETE FROM {table} USING {copy_destination} WHERE {name}.id = {copy_destination}.id;",
            f"INSERT INTO {table} SELECT * FROM {copy_destination};",
            "COMMIT",
        ]
    return copy


def run_like_dbapihook(emulator, sql: list[str] | str) -> None:
    """DbApiHook.run(sql, autocommit=False) with RedshiftSQLHook's redshift_connector connection."""
    conn = redshift_connect(emulator, autocommit=False)
    try:
        with closing(conn.cursor()) as cur:
            for statement in [sql] if isinstance(sql, str) else sql:
                cur.execute(statement)
        conn.commit()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("method", "existing", "expected"),
    [
        ("APPEND", [EXISTING[1]], [*LOADED, EXISTING[1]]),
        ("REPLACE", EXISTING, LOADED),
        ("UPSERT", EXISTING, [*LOADED, EXISTING[1]]),
    ],
)
def test_operator_sequence(method, existing, expected, redshift_emulator, warehouse_url, s3, bucket):
    key = unique("seq") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=NPS_ROWS)
    with nps_table(warehouse_url, existing) as table:
        run_like_dbapihook(redshift_emulator, operator_statements(method, table, bucket, key))
        assert table_rows(warehouse_url, table) == expected


def test_failed_replace_leaves_the_table_as_it_was(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("badreplace") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=NPS_ROWS + b"4,2024-01-04 00:00:00,not-a-score\n")
    with nps_table(warehouse_url, EXISTING) as table:
        with pytest.raises(redshift_connector.ProgrammingError) as raised:
            run_like_dbapihook(redshift_emulator, operator_statements("REPLACE", table, bucket, key))
        assert "Load into table 'nps' failed" in raised.value.args[0]["M"]
        assert table_rows(warehouse_url, table) == EXISTING
    [(filename, line, column, value, code, _reason, raw_line)] = load_errors(redshift_emulator, bucket, key)
    assert (filename, line, column, value, code) == (f"s3://{bucket}/{key}", 4, "score", "not-a-score", 1207)
    assert raw_line == "4,2024-01-04 00:00:00,not-a-score"


def run_real_upsert(table: str, bucket: str, key: str, lab_env, monkeypatch) -> S3ToRedshiftOperator:
    """S3ToRedshiftOperator(method="UPSERT").execute with the lab's Airflow connections and no upsert_keys:
    the operator reads the keys from the catalog."""
    for name, value in {**lab_env, **load_settings(lab_env).airflow_connections()}.items():
        monkeypatch.setenv(name, value)
    schema, name = table.split(".")
    operator = S3ToRedshiftOperator(
        task_id="s3_to_redshift_nps",
        s3_bucket=bucket,
        s3_key=key,
        schema=schema,
        table=name,
        copy_options=["csv"],
        method="UPSERT",
        redshift_conn_id=lab_settings.REDSHIFT_CONN_ID,
        aws_conn_id=lab_settings.AWS_CONN_ID,
    )
    operator.execute(context={})
    return operator


def test_real_operator_upsert(redshift_emulator, warehouse_url, s3, bucket, lab_env, monkeypatch):
    key = unique("operator") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=NPS_ROWS)
    with nps_table(warehouse_url, EXISTING) as table:
        run_real_upsert(table, bucket, key, lab_env, monkeypatch)
        assert table_rows(warehouse_url, table) == [*LOADED, EXISTING[1]]
