"""Every client the lab uses talks to the emulator as it would to PostgreSQL or Redshift: redshift_connector
(Airflow's RedshiftSQLHook), psycopg2, psycopg 3 and psql."""

from __future__ import annotations

import dataclasses
import io

import psycopg
import psycopg2
import pytest
import redshift_connector

from tests.emulator.wire_helpers import (
    nps_table,
    psql,
    psycopg2_connect,
    psycopg_connect,
    redshift_connect,
    table_rows,
    unique,
)
from tests.services import postgres_connect


def test_redshift_connector_simple_and_extended_queries(redshift_emulator):
    conn = redshift_connect(redshift_emulator)
    cur = conn.cursor()
    cur.execute("SELECT 1 AS one")
    assert cur.fetchall() == ([1],)
    cur.execute("SELECT %s::int + 1, %s::text", (41, "x"))
    assert cur.fetchall() == ([42, "x"],)
    conn.close()


def test_redshift_connector_error_keeps_sqlstate_and_connection(redshift_emulator):
    conn = redshift_connect(redshift_emulator, autocommit=False)
    cur = conn.cursor()
    with pytest.raises(redshift_connector.ProgrammingError) as raised:
        cur.execute("SELECT 1/0")
    assert raised.value.args[0]["C"] == "22012"
    conn.rollback()
    cur.execute("SELECT 2")
    assert cur.fetchall() == ([2],)
    conn.close()


def test_psycopg2_queries_errors_and_server_version(redshift_emulator):
    conn = psycopg2_connect(redshift_emulator)
    # The Debian suffix of server_version is cut (redshift_connector cannot parse it).
    assert conn.get_parameter_status("server_version").replace(".", "").isdigit()
    with conn.cursor() as cur:
        cur.execute("SELECT %s::int * 2", (21,))
        assert cur.fetchall() == [(42,)]
        with pytest.raises(psycopg2.errors.UndefinedTable) as raised:
            cur.execute("SELECT * FROM no_such_table_here")
        assert raised.value.pgcode == "42P01"
        cur.execute("SELECT 3")
        assert cur.fetchall() == [(3,)]
    conn.close()


def test_psycopg3_extended_protocol_prepared_statements(redshift_emulator):
    with psycopg_connect(redshift_emulator) as conn:
        for value in range(8):  # psycopg prepares server-side after a few runs of the same text
            assert conn.execute("SELECT %s::int + 1", (value,)).fetchone() == (value + 1,)
        with pytest.raises(psycopg.errors.DivisionByZero):
            conn.execute("SELECT 1/%s::int", (0,))
        assert conn.execute("SELECT 'still here'").fetchone() == ("still here",)


def test_psql_queries_and_error(redshift_emulator):
    result = psql(redshift_emulator, "SELECT 40 + 2;\nSELECT 1/0;\nSELECT 'after';\n")
    assert result.stdout.split() == ["42", "after"]
    assert "division by zero" in result.stderr


def test_copy_from_stdin_and_to_stdout_pass_through(redshift_emulator, warehouse_url):
    with nps_table(warehouse_url) as table:
        conn = psycopg2_connect(redshift_emulator)
        with conn.cursor() as cur:
            cur.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv)", io.BytesIO(b"1,2024-01-01,5\n"))
            out = io.StringIO()
            cur.copy_expert(f"COPY {table} TO STDOUT WITH (FORMAT csv)", out)
        conn.close()
        assert out.getvalue() == "1,2024-01-01 00:00:00,5\n"

        with psycopg_connect(redshift_emulator) as conn, conn.cursor() as cur:
            with cur.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write_row((2, "2024-01-02 03:04:05", 6))
            with cur.copy(f"COPY {table} TO STDOUT") as copy:
                assert len(list(copy.rows())) == 2

        result = psql(
            redshift_emulator, f"\\copy {table} FROM STDIN WITH (FORMAT csv)\n3,2024-01-03,7\n\\.\n"
        )
        assert result.returncode == 0, result.stderr
        assert table_rows(warehouse_url, table) == [
            (1, "2024-01-01 00:00:00", 5),
            (2, "2024-01-02 03:04:05", 6),
            (3, "2024-01-03 00:00:00", 7),
        ]


def test_system_tables_answer_the_first_extended_query_of_a_new_database(redshift_emulator, postgres_url):
    """redshift_connector parses every statement: the history table must exist by the Parse, even in a
    database the emulator has never seen."""
    database = unique("lab_test_fresh")
    admin = postgres_connect(postgres_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{database}"')
    try:
        conn = redshift_connect(dataclasses.replace(redshift_emulator, database=database))
        cursor = conn.cursor()
        cursor.execute("SELECT 42")
        cursor.execute("SELECT query_text FROM sys_query_history ORDER BY start_time")
        assert [row[0] for row in cursor.fetchall()] == ["SELECT 42"]
        conn.close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()
