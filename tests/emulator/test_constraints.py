"""Key constraints through the emulator, as on Redshift (t_Defining_constraints.html): informational only.
The catalog lists a table's primary key (S3ToRedshiftOperator's UPSERT reads it from there), yet a day
COPYed twice is there twice, the UPSERT is what keeps re-runs idempotent, a foreign key lets a dangling
reference in, and a primary key's column still refuses NULL, which Redshift does enforce."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest

from seed.warehouse import NPS_DDL
from tests.emulator.test_operator_sequences import (
    LOADED,
    operator_statements,
    run_like_dbapihook,
    run_real_upsert,
)
from tests.emulator.wire_helpers import (
    NPS_ROWS,
    copy_sql,
    direct,
    fresh_schema,
    load_errors,
    psycopg2_connect,
    query_direct,
    table_rows,
    unique,
)

EXISTING = [(1, "2023-12-31 00:00:00", 1), (9, "2023-12-31 09:00:00", 9)]
# RedshiftSQLHook.get_table_primary_key's query, which S3ToRedshiftOperator runs without upsert_keys.
PRIMARY_KEY_SQL = """
    select kcu.column_name
    from information_schema.table_constraints tco
            join information_schema.key_column_usage kcu
                on kcu.constraint_name = tco.constraint_name
                    and kcu.constraint_schema = tco.constraint_schema
    where tco.constraint_type = 'PRIMARY KEY' and kcu.table_schema = %s and kcu.table_name = %s
"""
KEYS_ENFORCED_WARNING = (
    "primary keys are enforced here: the upstream user cannot set session_replication_role"
)


def run_through_emulator(emulator, *statements: str) -> list[tuple]:
    """Run ``statements`` in one autocommit session of the emulator; the last one's rows, if any."""
    conn = psycopg2_connect(emulator)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


@contextmanager
def nps_created_through_emulator(emulator, warehouse_url, ddl: str = NPS_DDL) -> Iterator[str]:
    """A fresh schema whose nps table the emulator created from ``ddl``; yields 'schema.nps'."""
    with fresh_schema(warehouse_url) as schema:
        run_through_emulator(emulator, ddl.format(schema=schema))
        yield f"{schema}.nps"


def test_the_catalog_lists_the_primary_key(redshift_emulator, warehouse_url):
    with nps_created_through_emulator(redshift_emulator, warehouse_url) as table:
        schema, name = table.split(".")
        conn = psycopg2_connect(redshift_emulator)
        with conn.cursor() as cur:
            cur.execute(PRIMARY_KEY_SQL, (schema, name))
            assert cur.fetchall() == [("id",)]
        conn.close()


def test_a_day_copied_twice_is_there_twice(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("twice") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=NPS_ROWS)
    with nps_created_through_emulator(redshift_emulator, warehouse_url) as table:
        for _ in range(2):
            run_like_dbapihook(redshift_emulator, operator_statements("APPEND", table, bucket, key))
        assert table_rows(warehouse_url, table) == [row for row in LOADED for _ in range(2)]
    assert load_errors(redshift_emulator, bucket, key) == []


def test_a_duplicate_passes_the_commit(redshift_emulator, warehouse_url):
    """A deferred key is checked at COMMIT, if at all: the duplicate must survive it."""
    with nps_created_through_emulator(redshift_emulator, warehouse_url) as table:
        insert = f"INSERT INTO {table} (id, score) VALUES (7, 1)"
        run_through_emulator(redshift_emulator, "BEGIN", insert, insert, "COMMIT")
        assert table_rows(warehouse_url, table) == [(7, None, 1), (7, None, 1)]


def test_upsert_run_twice_leaves_one_row_per_id(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("upsert_twice") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=NPS_ROWS)
    with nps_created_through_emulator(redshift_emulator, warehouse_url) as table:
        conn = direct(warehouse_url)
        with conn.cursor() as cur:
            for row in EXISTING:
                cur.execute(f"INSERT INTO {table} VALUES (%s, %s, %s)", row)
        conn.close()
        for _ in range(2):
            run_like_dbapihook(redshift_emulator, operator_statements("UPSERT", table, bucket, key))
        assert table_rows(warehouse_url, table) == [*LOADED, EXISTING[1]]


def test_real_operator_upsert_finds_the_primary_key(
    redshift_emulator, warehouse_url, s3, bucket, lab_env, monkeypatch
):
    """S3ToRedshiftOperator(method="UPSERT") without upsert_keys reads them from the catalog."""
    key = unique("operator_keys") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=NPS_ROWS)
    with nps_created_through_emulator(redshift_emulator, warehouse_url) as table:
        run_through_emulator(
            redshift_emulator, *(f"INSERT INTO {table} VALUES {row}" for row in [*EXISTING, EXISTING[0]])
        )
        assert run_real_upsert(table, bucket, key, lab_env, monkeypatch).upsert_keys is None
        # Both rows of id 1 went: the DELETE ... USING matched them on the primary key.
        assert table_rows(warehouse_url, table) == [*LOADED, EXISTING[1]]


def test_a_foreign_key_lets_a_dangling_reference_in(redshift_emulator, warehouse_url):
    with fresh_schema(warehouse_url) as schema:
        run_through_emulator(
            redshift_emulator,
            f"CREATE TABLE {schema}.parent (id int PRIMARY KEY, name varchar(10))",
            f"CREATE TABLE {schema}.child (id int, parent_id int REFERENCES {schema}.parent (id))",
            f"CREATE TABLE {schema}.other (id int, parent_id int, FOREIGN KEY (parent_id) REFERENCES"
            f" {schema}.parent)",
            f"INSERT INTO {schema}.child VALUES (1, 42)",
            f"INSERT INTO {schema}.other VALUES (2, 43)",
        )
        assert query_direct(warehouse_url, f"SELECT * FROM {schema}.child") == [(1, 42)]
        assert query_direct(warehouse_url, f"SELECT * FROM {schema}.other") == [(2, 43)]


def test_a_key_added_afterwards_is_listed_and_not_enforced(redshift_emulator, warehouse_url):
    with fresh_schema(warehouse_url) as schema:
        table = f"{schema}.t"
        [(constraint_type,)] = run_through_emulator(
            redshift_emulator,
            f"CREATE TABLE {table} (id int NOT NULL, code varchar(4))",
            f"ALTER TABLE {table} ADD CONSTRAINT t_code UNIQUE (code)",
            f"ALTER TABLE {table} ADD PRIMARY KEY (id)",
            f"INSERT INTO {table} VALUES (1, 'a'), (1, 'a')",
            "SELECT string_agg(constraint_type, ', ' ORDER BY constraint_type)"
            f" FROM information_schema.table_constraints WHERE table_schema = '{schema}' AND table_name = 't'"
            " AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')",
        )
        assert constraint_type == "PRIMARY KEY, UNIQUE"
        assert query_direct(warehouse_url, f"SELECT * FROM {table}") == [(1, "a"), (1, "a")]


def test_a_primary_key_column_still_refuses_null(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("null_key") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=b"1,2024-01-01 10:00:00,9\n,2024-01-02 11:30:00,7\n")
    table_level_key = (
        "CREATE TABLE {schema}.nps (id INT, created_at timestamp, score smallint, PRIMARY KEY (id))"
    )
    with nps_created_through_emulator(redshift_emulator, warehouse_url, table_level_key) as table:
        conn = psycopg2_connect(redshift_emulator)
        with conn.cursor() as cur, pytest.raises(psycopg2.Error) as raised:
            cur.execute(copy_sql(table, bucket, key))
        conn.close()
        assert "Load into table 'nps' failed" in raised.value.pgerror
        assert table_rows(warehouse_url, table) == []
    [(_file, line, column, _value, code, _reason, _raw)] = load_errors(redshift_emulator, bucket, key)
    assert (line, column, code) == (2, "id", 1213)


@pytest.fixture
def plain_role(warehouse_url) -> Iterator[str]:
    """A login that is no superuser (the machine's PostgreSQL trusts every login)."""
    role = unique("lab_plain_user")
    conn = direct(warehouse_url)
    with conn.cursor() as cur:
        cur.execute(f"CREATE ROLE {role} LOGIN")
    try:
        yield role
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP OWNED BY {role}")
            cur.execute(f"DROP ROLE {role}")
        conn.close()


def test_without_a_superuser_keys_are_enforced_and_sessions_go_on(
    redshift_emulator, warehouse_url, plain_role
):
    as_plain_role = dataclasses.replace(redshift_emulator, user=plain_role)
    with fresh_schema(warehouse_url, owner=plain_role) as schema:
        insert = f"INSERT INTO {schema}.nps (id) VALUES (1)"
        run_through_emulator(as_plain_role, NPS_DDL.format(schema=schema), insert)
        with pytest.raises(psycopg2.errors.UniqueViolation):
            run_through_emulator(as_plain_role, insert)
        assert run_through_emulator(as_plain_role, "SELECT current_user") == [(plain_role,)]
        assert query_direct(warehouse_url, f"SELECT id FROM {schema}.nps") == [(1,)]
    log = redshift_emulator.process.log_path.read_text(errors="replace")
    assert log.count(KEYS_ENFORCED_WARNING) == 1
