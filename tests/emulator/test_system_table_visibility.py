"""STL and SYS rows scoped to their user as Redshift scopes them (c_visibility-of-data.html,
r_STL_QUERY.html, r_STL_LOAD_ERRORS.html): a regular user sees only their own, a superuser all; and
SYS_LOAD_ERROR_DETAIL (r_SYS_LOAD_ERROR_DETAIL.html) answers from the same load errors as stl_load_errors."""

from __future__ import annotations

import dataclasses
import uuid

import psycopg2
import pytest

from tests.emulator.wire_helpers import copy_sql, direct, fresh_schema, psycopg2_connect, unique


@pytest.fixture
def two_users(redshift_emulator, warehouse_url):
    """Two regular logins (the test PostgreSQL trusts loopback), each owning a schema, dropped after."""
    names = [f"h_hostile_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    conn = direct(warehouse_url)
    with conn.cursor() as cur:
        for name in names:
            cur.execute(f"CREATE ROLE {name} LOGIN")
    try:
        with (
            fresh_schema(warehouse_url, names[0]) as schema_a,
            fresh_schema(warehouse_url, names[1]) as schema_b,
        ):
            yield [
                (dataclasses.replace(redshift_emulator, user=name, password=""), schema)
                for name, schema in zip(names, (schema_a, schema_b), strict=True)
            ]
    finally:
        with conn.cursor() as cur:
            for name in names:
                cur.execute(f"DROP OWNED BY {name}; DROP ROLE {name}")
        conn.close()


def texts(emulator, sql: str, marker: str) -> list[tuple]:
    conn = psycopg2_connect(emulator)
    with conn.cursor() as cur:
        cur.execute(sql, (f"%{marker}%",))
        rows = cur.fetchall()
    conn.close()
    return rows


# The marked statements have no WHERE: the reading ones, which name the marker too, are left out.
HISTORY = (
    "SELECT query_text FROM sys_query_history WHERE query_text LIKE %s AND query_text NOT LIKE '%%WHERE%%'"
)
STL_QUERY = "SELECT querytxt FROM stl_query WHERE querytxt LIKE %s AND querytxt NOT LIKE '%%WHERE%%'"
LOAD_ERRORS = "SELECT filename, err_code FROM stl_load_errors WHERE filename LIKE %s"
ERROR_DETAIL = (
    "SELECT file_name, error_code, column_name, line_number"
    " FROM sys_load_error_detail WHERE file_name LIKE %s"
)


def test_a_regular_user_sees_only_their_own_history_a_superuser_all(redshift_emulator, two_users):
    (alice, _), (bob, _) = two_users
    marker = unique("seen")
    for user, word in ((alice, "alice"), (bob, "bob")):
        conn = psycopg2_connect(user)
        with conn.cursor() as cur:
            cur.execute(f"select '{marker}_{word}'")
        conn.close()

    for sql in (HISTORY, STL_QUERY):
        assert texts(alice, sql, marker) == [(f"select '{marker}_alice'",)], sql
        assert texts(bob, sql, marker) == [(f"select '{marker}_bob'",)], sql
        assert len(texts(redshift_emulator, sql, marker)) == 2, f"the superuser should see both in: {sql}"


def test_load_errors_are_scoped_and_sys_load_error_detail_reads_them(
    redshift_emulator, two_users, s3, bucket
):
    (alice, schema), (bob, _) = two_users
    key = f"{unique('scoped')}/bad.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=b"1,ok\nnot-a-number,bad\n")
    conn = psycopg2_connect(alice)
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {schema}.t (id int, name varchar(10))")
        with pytest.raises(psycopg2.Error):
            cur.execute(copy_sql(f"{schema}.t", bucket, key, "csv"))
    conn.close()

    url = f"s3://{bucket}/{key}"
    assert texts(alice, LOAD_ERRORS, key) == [(url, 1207)]
    assert texts(alice, ERROR_DETAIL, key) == [(url, 1207, "id", 2)]
    assert texts(bob, LOAD_ERRORS, key) == [], "another regular user reads alice's load errors"
    assert texts(bob, ERROR_DETAIL, key) == [], "another regular user reads alice's load errors"
    assert texts(redshift_emulator, ERROR_DETAIL, key) == [(url, 1207, "id", 2)]
    assert texts(redshift_emulator, LOAD_ERRORS, key) == [(url, 1207)]
