"""Invalid UTF-8 in a COPY file, as Redshift reports it (multi-byte-character-load-errors.html): a load
error 1220 in stl_load_errors naming the bad bytes in hex, MAXERROR honoured, and with ACCEPTINVCHARS
[AS 'c'] each invalid byte replaced (copy-parameters-data-conversion.html#acceptinvchars), for VARCHAR and
TEXT columns alike; never a dropped connection."""

from __future__ import annotations

import psycopg2
import pytest

from tests.emulator.wire_helpers import (
    copy_sql,
    direct,
    fresh_schema,
    load_errors,
    psycopg2_connect,
    query_direct,
    unique,
)

# Row 2's name holds a byte that starts no UTF-8 character (0xff) and a cut-off two-byte one (0xc3).
FILE = b"1,ana\n2,b\xffo\xc3\n3,cy\n"


@pytest.fixture(params=["varchar(20)", "text"])
def names_table(request, warehouse_url):
    with fresh_schema(warehouse_url) as schema:
        table = f"{schema}.names"
        conn = direct(warehouse_url)
        with conn.cursor() as cur:
            cur.execute(f"CREATE TABLE {table} (id int, name {request.param})")
        conn.close()
        yield table


def put_file(s3, bucket: str) -> str:
    key = f"{unique('utf8')}/names.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=FILE)
    return key


def names(warehouse_url: str, table: str) -> list[tuple]:
    return query_direct(warehouse_url, f"SELECT id, name FROM {table} ORDER BY id")


def test_invalid_utf8_fails_the_load_with_error_1220(
    redshift_emulator, warehouse_url, s3, bucket, names_table
):
    key = put_file(s3, bucket)
    conn = psycopg2_connect(redshift_emulator)
    with pytest.raises(psycopg2.Error) as refused, conn.cursor() as cur:
        cur.execute(copy_sql(names_table, bucket, key, "csv"))
    assert "Check 'stl_load_errors'" in str(refused.value), refused.value
    with conn.cursor() as cur:  # the connection is still there
        cur.execute("select 1")
        assert cur.fetchone() == (1,)
    conn.close()
    assert names(warehouse_url, names_table) == []
    errors = load_errors(redshift_emulator, bucket, key)
    assert len(errors) == 1, errors
    _, line_number, colname, _, err_code, err_reason, _ = errors[0]
    assert (line_number, colname.strip(), err_code) == (2, "name", 1220), errors[0]
    assert "String contains invalid or unsupported UTF-8 codepoints" in err_reason, err_reason
    assert "ff" in err_reason, err_reason


def test_maxerror_skips_the_row_with_invalid_utf8(redshift_emulator, warehouse_url, s3, bucket, names_table):
    key = put_file(s3, bucket)
    conn = psycopg2_connect(redshift_emulator)
    with conn.cursor() as cur:
        cur.execute(copy_sql(names_table, bucket, key, "csv maxerror 1"))
    conn.close()
    assert names(warehouse_url, names_table) == [(1, "ana"), (3, "cy")]
    assert [row[4] for row in load_errors(redshift_emulator, bucket, key)] == [1220]


@pytest.mark.parametrize("option, replaced", [("acceptinvchars", "b?o?"), ("acceptinvchars as '^'", "b^o^")])
def test_acceptinvchars_replaces_each_invalid_byte(
    redshift_emulator, warehouse_url, s3, bucket, names_table, option, replaced
):
    key = put_file(s3, bucket)
    conn = psycopg2_connect(redshift_emulator)
    with conn.cursor() as cur:
        cur.execute(copy_sql(names_table, bucket, key, f"csv {option}"))
    conn.close()
    assert names(warehouse_url, names_table) == [(1, "ana"), (2, replaced), (3, "cy")]
    assert load_errors(redshift_emulator, bucket, key) == []
