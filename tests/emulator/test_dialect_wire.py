"""Redshift syntax PostgreSQL lacks (dialect.py), through the emulator and PostgreSQL: what a learner gets."""

from __future__ import annotations

import datetime

import psycopg2
import pytest

from emulators.redshift.sql.functions import FUNCTION_SCHEMA
from tests.emulator.wire_helpers import (
    fresh_schema,
    nps_table,
    psycopg2_connect,
    query_direct,
    redshift_connect,
    unique,
)

NPS_ROWS = [
    (1, "2024-01-01 10:00:00", 9),
    (2, "2024-01-01 11:30:00", 3),
    (3, "2024-01-02 12:45:00", 10),
    (4, "2024-01-03 08:00:00", 10),
    (5, "2024-01-03 09:00:00", 7),
]


@pytest.fixture(scope="module")
def nps(warehouse_url):
    """A schema with the course's nps table and five rows; yields 'schema.nps'."""
    with nps_table(warehouse_url, NPS_ROWS) as table:
        yield table


@pytest.fixture
def cursor(redshift_emulator):
    """A psycopg2 cursor through the emulator, in autocommit."""
    conn = psycopg2_connect(redshift_emulator)
    with conn.cursor() as cur:
        yield cur
    conn.close()


def answer(cursor, sql: str) -> list[tuple]:
    cursor.execute(sql)
    return cursor.fetchall()


def column_names(cursor) -> list[str]:
    return [column.name for column in cursor.description]


def test_select_top_returns_n_rows(cursor, nps):
    assert answer(cursor, f"SELECT TOP 2 id FROM {nps} ORDER BY id;") == [(1,), (2,)]
    assert answer(cursor, f"SELECT count(*) FROM (SELECT TOP 3 * FROM {nps} ORDER BY id DESC) s") == [(3,)]


def test_redshift_connector_extended_protocol(redshift_emulator, nps):
    """What Airflow's RedshiftSQLHook sends: Parse/Bind/Execute, with parameters."""
    conn = redshift_connect(redshift_emulator)
    cur = conn.cursor()
    cur.execute(
        f"SELECT TOP 1 LISTAGG(id, %s) WITHIN GROUP (ORDER BY id) FROM {nps} WHERE score >= %s", (";", 9)
    )
    assert cur.fetchall() == (["1;3;4"],)
    conn.close()


def test_bare_dateparts(cursor):
    # r_DATE_PART_function.html's own example; r_DATEADD_function.html, r_DATEDIFF_function.html
    assert answer(cursor, "SELECT DATE_PART(dayofweek, timestamp '20220502 04:05:06.789')") == [(1,)]
    assert answer(cursor, "SELECT EXTRACT(dw FROM timestamp '20220502 04:05:06.789')") == [(1,)]
    assert answer(cursor, "SELECT DATEADD(day, 1, date '2024-01-31')") == [(datetime.datetime(2024, 2, 1),)]
    assert answer(cursor, "SELECT DATEDIFF(week, '2009-01-01', '2009-12-31')") == [(52,)]


def test_listagg_within_group(cursor, nps):
    by_day = answer(
        cursor,
        f"SELECT created_at::date AS day, LISTAGG(score, ',') WITHIN GROUP (ORDER BY id) FROM {nps}"
        " GROUP BY 1 ORDER BY 1",
    )
    assert [scores for _, scores in by_day] == ["9,3", "10", "10,7"]
    assert column_names(cursor) == ["day", "listagg"]
    # DISTINCT and ORDER BY compare numbers as numbers (r_LISTAGG.html's own example is ordered this way)
    assert answer(
        cursor, f"SELECT LISTAGG(DISTINCT score, ', ') WITHIN GROUP (ORDER BY score) FROM {nps}"
    ) == [("3, 7, 9, 10",)]
    assert answer(
        cursor, "SELECT LISTAGG(x) WITHIN GROUP (ORDER BY x) FROM (VALUES ('c'), ('a'), ('b')) t(x)"
    ) == [("abc",)]


def test_listagg_leaves_out_nulls_and_empty_strings(cursor):
    values = "(VALUES (1, 'a'), (2, NULL), (3, ''), (4, 'b')) t(id, x)"
    assert answer(cursor, f"SELECT LISTAGG(x, ',') WITHIN GROUP (ORDER BY id) FROM {values}") == [("a,b",)]


def test_listagg_as_a_window_function(cursor, nps):
    rows = answer(
        cursor,
        f"SELECT id, LISTAGG(id, '|') WITHIN GROUP (ORDER BY id DESC) OVER (PARTITION BY created_at::date)"
        f" FROM {nps} ORDER BY id",
    )
    assert rows == [(1, "2|1"), (2, "2|1"), (3, "3"), (4, "5|4"), (5, "5|4")]


def test_approximate_aggregates_answer_exactly(cursor, nps):
    assert answer(
        cursor,
        f"SELECT APPROXIMATE COUNT(DISTINCT score),"
        f" APPROXIMATE PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY score) FROM {nps}",
    ) == [(4, 9)]


def test_nvl_and_substring(cursor, nps):
    assert answer(cursor, "SELECT NVL(NULL, NULL, 'third'), NVL(NULL::int, 5)") == [("third", 5)]
    assert answer(
        cursor, "SELECT SUBSTRING('abcdef' FROM 2 FOR 3), SUBSTRING('abcdef', 3), SUBSTRING('abc' FROM 2)"
    ) == [("bcd", "cdef", "bc")]
    # Redshift reads a timestamp as text here (the course's LEFT(created_at, 10) does the same)
    assert answer(cursor, f"SELECT SUBSTRING(created_at FROM 1 FOR 10) FROM {nps} WHERE id = 1") == [
        ("2024-01-01",)
    ]


def test_show_tables_lists_a_new_table_with_the_pages_columns(cursor, redshift_emulator, nps):
    schema = nps.split(".")[0]
    database = redshift_emulator.database
    cursor.execute(f"CREATE TABLE {schema}.events (id int)")
    assert answer(cursor, f"SHOW TABLES FROM SCHEMA {database}.{schema};") == [
        (database, schema, "events", "TABLE", None, None),
        (database, schema, "nps", "TABLE", None, None),
    ]
    assert column_names(cursor) == [
        "database_name", "schema_name", "table_name", "table_type", "table_acl", "remarks"
    ]  # fmt: skip
    assert answer(cursor, f"SHOW TABLES FROM SCHEMA {schema} LIKE 'e%' LIMIT 1") == [
        (database, schema, "events", "TABLE", None, None)
    ]


def test_show_columns(cursor, redshift_emulator, nps):
    schema = nps.split(".")[0]
    rows = answer(cursor, f"SHOW COLUMNS FROM TABLE {redshift_emulator.database}.{nps}")
    assert column_names(cursor) == [
        "database_name", "schema_name", "table_name", "column_name", "ordinal_position", "column_default",
        "is_nullable", "data_type", "character_maximum_length", "numeric_precision", "numeric_scale",
        "remarks",
    ]  # fmt: skip
    assert [row[3:10] for row in rows] == [
        ("id", 1, None, "NO", "integer", None, 32),
        ("created_at", 2, None, "YES", "timestamp without time zone", None, None),
        ("score", 3, None, "YES", "smallint", None, 16),
    ]
    assert {row[:3] for row in rows} == {(redshift_emulator.database, schema, "nps")}


def test_show_schemas_leaves_out_the_emulators_own(cursor, redshift_emulator, nps):
    schema = nps.split(".")[0]
    rows = answer(cursor, f"SHOW SCHEMAS FROM DATABASE {redshift_emulator.database}")
    names = [row[1] for row in rows]
    assert {schema, "public", "pg_catalog", "information_schema"} <= set(names)
    assert FUNCTION_SCHEMA not in names and not [name for name in names if name.startswith("pg_toast")]
    assert column_names(cursor) == [
        "database_name", "schema_name", "schema_owner", "schema_type", "schema_acl", "source_database",
        "schema_option",
    ]  # fmt: skip
    assert answer(cursor, f"SHOW SCHEMAS FROM DATABASE {redshift_emulator.database} LIKE '{schema}'") == [
        (redshift_emulator.database, schema, rows[names.index(schema)][2], "local", None, None, None)
    ]


def test_set_search_path_keeps_the_emulators_functions(cursor, warehouse_url):
    assert answer(cursor, "SHOW search_path") == [('"$user", public',)]  # as the session starts
    with fresh_schema(warehouse_url) as schema:
        cursor.execute(f"SET search_path TO {schema}")
        assert answer(cursor, "SHOW search_path") == [(schema,)]
        assert answer(cursor, "SELECT LEN('abc'), DATEDIFF(day, '2024-01-01', '2024-01-31')") == [(3, 30)]
        cursor.execute("CREATE TABLE lands_here (id int)")  # the learner's schema comes first
        assert query_direct(
            warehouse_url,
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'lands_here'",
        ) == [(schema,)]
        cursor.execute("SET search_path TO DEFAULT")
        assert answer(cursor, "SHOW search_path") == [('"$user", public',)]
        assert answer(cursor, "SELECT LEN('abcd')") == [(4,)]


def test_ctas_with_table_attributes_groups_and_end(cursor, warehouse_url, nps):
    """The course's summary operator: CTAS into a temp table with a sort key, swap, GRANT TO GROUP."""
    schema = nps.split(".")[0]
    group = unique("analysts")
    statements = [
        f"CREATE TABLE {schema}.temp_summary sortkey(date) AS SELECT created_at::date AS date, count(1) AS n"
        f" FROM {nps} GROUP BY 1",
        f"CREATE TABLE {schema}.by_score DISTSTYLE KEY DISTKEY(score) SORTKEY(score, id) AS"
        f" SELECT score, id FROM {nps}",
        f"CREATE TEMP TABLE recent AS SELECT TOP 1 * FROM {nps} ORDER BY created_at DESC",
        f"CREATE TABLE {schema}.nps_copy (LIKE {nps})",
        f"CREATE GROUP {group}",
        "BEGIN",
        f"ALTER TABLE {schema}.temp_summary RENAME TO summary",
        f"GRANT SELECT ON {schema}.summary TO GROUP {group}",
        "END",
    ]
    try:
        for statement in statements:
            cursor.execute(statement)
        assert answer(cursor, f"SELECT * FROM {schema}.summary ORDER BY date") == [
            (datetime.date(2024, 1, 1), 2),
            (datetime.date(2024, 1, 2), 1),
            (datetime.date(2024, 1, 3), 2),
        ]
        assert answer(cursor, f"SELECT count(*) FROM {schema}.by_score") == [(5,)]
        assert answer(cursor, "SELECT id FROM recent") == [(5,)]
        assert answer(cursor, f"SELECT count(*) FROM {schema}.nps_copy") == [(0,)]
        assert answer(cursor, f"SELECT has_table_privilege('{group}', '{schema}.summary', 'SELECT')") == [
            (True,)
        ]
    finally:
        for table in ("summary", "by_score", "nps_copy"):
            cursor.execute(f"DROP TABLE IF EXISTS {schema}.{table}")
        cursor.execute(f"DROP GROUP IF EXISTS {group}")


def test_refused_syntax_names_the_construct_and_leaves_the_connection_usable(redshift_emulator):
    conn = psycopg2_connect(redshift_emulator, autocommit=False)
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as raised:
            cur.execute("SHOW TABLES")
        assert "SHOW TABLES FROM SCHEMA database_name.schema_name" in str(raised.value)
        conn.rollback()
        assert answer(cur, "SELECT TOP 1 1") == [(1,)]
    conn.close()
