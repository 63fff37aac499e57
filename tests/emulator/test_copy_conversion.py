"""COPY options that make the emulator load row by row, through real clients, PostgreSQL and S3:
NULL handling, DATEFORMAT/TIMEFORMAT, and MAXERROR skipping bad rows into stl_load_errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest

from tests.emulator.wire_helpers import (
    copy_sql,
    direct,
    fresh_schema,
    load_errors,
    nps_table,
    psycopg2_connect,
    redshift_connect,
    table_rows,
    unique,
)

PEOPLE_DDL = "CREATE TABLE {table} (id INT NOT NULL, name VARCHAR(8), born DATE, seen TIMESTAMP)"
EXISTING = [(9, "2023-12-31 09:00:00", 9)]


@contextmanager
def people_table(warehouse_url: str) -> Iterator[str]:
    with fresh_schema(warehouse_url) as schema:
        table = f"{schema}.people"
        conn = direct(warehouse_url)
        with conn.cursor() as cur:
            cur.execute(PEOPLE_DDL.format(table=table))
        conn.close()
        yield table


def people(warehouse_url: str, table: str) -> list[tuple]:
    conn = direct(warehouse_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT id, name, born::text, seen::text FROM {table} ORDER BY id")
            return cur.fetchall()
    finally:
        conn.close()


def load(emulator, s3, bucket, table: str, body: bytes, options: str) -> str:
    key = unique("conv") + "/people.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    conn = psycopg2_connect(emulator)
    try:
        with conn.cursor() as cur:
            cur.execute(copy_sql(table, bucket, key, options))
            assert cur.statusmessage == f"COPY {cur.rowcount}"
    finally:
        conn.close()
    return key


@pytest.mark.parametrize(
    ("options", "name_of_empty", "name_of_blank", "name_of_none"),
    [
        ("csv", "", "   ", "none"),
        ("csv emptyasnull", None, "   ", "none"),
        ("csv blanksasnull", "", None, "none"),
        ("csv emptyasnull null as 'none'", None, "   ", None),
    ],
)
def test_null_options(
    options, name_of_empty, name_of_blank, name_of_none, redshift_emulator, warehouse_url, s3, bucket
):
    body = b"1,,,\n2,   ,   ,\n3,none,,\n"
    with people_table(warehouse_url) as table:
        load(redshift_emulator, s3, bucket, table, body, options)
        assert people(warehouse_url, table) == [
            (1, name_of_empty, None, None),
            (2, name_of_blank, None, None),
            (3, name_of_none, None, None),
        ]


def test_date_and_time_formats(redshift_emulator, warehouse_url, s3, bucket):
    body = b"1|Ann|31.03.2003|03/31/2003 06:45:05 PM\n2|Bob|01.01.1999|12/31/1999 11:59:59 AM\n"
    with people_table(warehouse_url) as table:
        load(
            redshift_emulator,
            s3,
            bucket,
            table,
            body,
            "dateformat 'DD.MM.YYYY' timeformat 'MM/DD/YYYY HH12:MI:SS AM'",
        )
        assert people(warehouse_url, table) == [
            (1, "Ann", "2003-03-31", "2003-03-31 18:45:05"),
            (2, "Bob", "1999-01-01", "1999-12-31 11:59:59"),
        ]


BAD_TWICE = b"1,2024-01-01 10:00:00,9\n2,not a time,7\n3,2024-01-03 12:45:00,10\nx4,2024-01-04 08:00:00,3\n"


def test_maxerror_skips_bad_rows_and_records_them(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("maxerror") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=BAD_TWICE)
    with nps_table(warehouse_url, EXISTING) as table:
        conn = psycopg2_connect(redshift_emulator)
        with conn.cursor() as cur:
            cur.execute(copy_sql(table, bucket, key, "csv maxerror 2"))
            assert cur.statusmessage == "COPY 2"
        notices = "".join(conn.notices)
        conn.close()
        assert "Load into table 'nps' completed, 2 record(s) could not be loaded" in notices
        assert table_rows(warehouse_url, table) == [
            (1, "2024-01-01 10:00:00", 9),
            (3, "2024-01-03 12:45:00", 10),
            (9, "2023-12-31 09:00:00", 9),
        ]
    rows = load_errors(redshift_emulator, bucket, key)
    assert [(row[1], row[2].strip(), row[3].strip(), row[4]) for row in rows] == [
        (2, "created_at", "not a time", 1206),
        (4, "id", "x4", 1207),
    ]
    assert rows[1][6].strip() == "x4,2024-01-04 08:00:00,3"


def test_one_error_too_many_fails_the_load_and_changes_nothing(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("maxerror") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=BAD_TWICE)
    with nps_table(warehouse_url, EXISTING) as table:
        conn = psycopg2_connect(redshift_emulator, autocommit=False)
        with conn.cursor() as cur:
            cur.execute(f"DELETE FROM {table}")
            with pytest.raises(psycopg2.Error) as raised:
                cur.execute(copy_sql(table, bucket, key, "csv maxerror 1"))
            assert "Load into table 'nps' failed" in raised.value.pgerror
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute("SELECT 'usable'")
            assert cur.fetchone() == ("usable",)
        conn.close()
        assert table_rows(warehouse_url, table) == EXISTING
    assert [row[4] for row in load_errors(redshift_emulator, bucket, key)] == [1206, 1207]


def test_upsert_into_a_temp_table_with_maxerror(redshift_emulator, warehouse_url, s3, bucket):
    """The operator's UPSERT through redshift_connector (extended protocol): the `#temp` target exists in
    the client's session only, and its columns still drive the row-by-row load."""
    key = unique("upsert") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=BAD_TWICE)
    with nps_table(warehouse_url, EXISTING) as table:
        conn = redshift_connect(redshift_emulator)
        cursor = conn.cursor()
        cursor.execute(f"CREATE TABLE #nps (LIKE {table} INCLUDING DEFAULTS);")
        cursor.execute(copy_sql("#nps", bucket, key, "csv maxerror 5"))
        cursor.execute("BEGIN;")
        cursor.execute(f"DELETE FROM {table} USING #nps WHERE nps.id = #nps.id;")
        cursor.execute(f"INSERT INTO {table} SELECT * FROM #nps;")
        cursor.execute("COMMIT")
        conn.close()
        assert [row[0] for row in table_rows(warehouse_url, table)] == [1, 3, 9]


def test_text_with_escape_into_character_columns(redshift_emulator, warehouse_url, s3, bucket):
    body = b"1|\\N|\\N|\\N\n2|a\\|b|2003-03-31|2003-03-31 18:45:05\n"
    with people_table(warehouse_url) as table:
        load(redshift_emulator, s3, bucket, table, body, "escape")
        assert people(warehouse_url, table) == [
            (1, None, None, None),
            (2, "a|b", "2003-03-31", "2003-03-31 18:45:05"),
        ]
