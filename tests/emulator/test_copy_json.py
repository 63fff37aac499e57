"""COPY ... JSON through the emulator, a real PostgreSQL and a real S3 server: the newline-delimited
JSON SqlToS3Operator writes, 'auto', 'auto ignorecase' and JSONPaths files, and bad records that fail
the load atomically with an stl_load_errors row."""

from __future__ import annotations

import bz2
import gzip
import io
import json

import pandas as pd
import psycopg2
import pytest

from tests.emulator.wire_helpers import (
    command_tag,
    copy_sql,
    load_errors,
    nps_table,
    psycopg2_connect,
    table_rows,
    unique,
)

EXISTING = [(9, "2023-12-31 09:00:00", 9)]
LOADED = [(1, "2024-01-01 10:00:00", 9), (2, "2024-01-02 11:30:00", 7), (3, "2024-01-03 12:45:00", None)]


def operator_json(**df_kwargs) -> bytes:
    """What SqlToS3Operator(file_format="json", df_kwargs=...) uploads: DataFrame.to_json's text."""
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "created_at": pd.to_datetime(
                ["2024-01-01 10:00:00", "2024-01-02 11:30:00", "2024-01-03 12:45:00"]
            ),
            "score": pd.array([9, 7, None], dtype="Int64"),
        }
    )
    out = io.StringIO()
    frame.to_json(out, **df_kwargs)
    return out.getvalue().encode()


@pytest.mark.parametrize(
    ("df_kwargs", "compress", "options"),
    [
        # pandas 3 writes timestamps as epoch milliseconds unless told otherwise.
        ({"date_format": "epoch"}, gzip.compress, "FORMAT AS JSON 'auto' GZIP TIMEFORMAT 'epochmillisecs'"),
        ({"date_format": "iso"}, bz2.compress, "JSON 'auto' BZIP2 TIMEFORMAT 'auto'"),
    ],
)
def test_what_sql_to_s3_operator_writes(
    df_kwargs, compress, options, redshift_emulator, warehouse_url, s3, bucket
):
    key = unique("json") + "/nps.json"
    body = operator_json(orient="records", lines=True, **df_kwargs)
    s3.put_object(Bucket=bucket, Key=key, Body=compress(body))
    with nps_table(warehouse_url) as table:
        assert command_tag(redshift_emulator, copy_sql(table, bucket, key, options)) == "COPY 3"
        assert table_rows(warehouse_url, table) == LOADED


def test_missing_keys_load_null_and_extra_keys_are_ignored(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("json_keys") + "/nps.json"
    body = (
        b'{"id": 1, "created_at": "2024-01-01 10:00:00", "score": 9, "comment": "ignored"}\n'
        b'{"id": 2}\n'
        # An object may span lines, and two may share one.
        b'{"id": 3,\n "score": 10} {"ID": 4, "score": 1}\n'
    )
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    with nps_table(warehouse_url) as table:
        # 'auto' matches keys case-sensitively: "ID" is not id, and id is NOT NULL.
        with pytest.raises(psycopg2.Error, match="Load into table 'nps' failed"):
            command_tag(redshift_emulator, copy_sql(table, bucket, key, "JSON 'auto'"))
        assert (
            command_tag(redshift_emulator, copy_sql(table, bucket, key, "JSON 'auto ignorecase'")) == "COPY 4"
        )
        assert table_rows(warehouse_url, table) == [
            (1, "2024-01-01 10:00:00", 9),
            (2, None, None),
            (3, None, 10),
            (4, None, 1),
        ]
    [row] = load_errors(redshift_emulator, bucket, key)
    assert (row[1], row[2].strip(), row[4]) == (4, "id", 1213)  # the second record of line 4


def test_jsonpaths_file_maps_nested_values_and_arrays(redshift_emulator, warehouse_url, s3, bucket):
    prefix = unique("jsonpaths")
    paths = {"jsonpaths": ["$['key']['id']", "$['when']", "$['scores'][1]"]}
    s3.put_object(Bucket=bucket, Key=f"{prefix}/paths.json", Body=json.dumps(paths))
    body = b'{"key": {"id": 1}, "when": "2024-01-01 10:00:00", "scores": [0, 9]}\n{"key": {"id": 2}}\n'
    s3.put_object(Bucket=bucket, Key=f"{prefix}/data/nps.json", Body=body)
    with nps_table(warehouse_url) as table:
        options = f"FORMAT JSON 's3://{bucket}/{prefix}/paths.json'"
        assert command_tag(redshift_emulator, copy_sql(table, bucket, f"{prefix}/data/", options)) == "COPY 2"
        assert table_rows(warehouse_url, table) == [(1, "2024-01-01 10:00:00", 9), (2, None, None)]


@pytest.mark.parametrize(
    ("case", "line", "reason"),
    [
        ("not an object", b"[4, null, 5]\n", "Invalid JSONPath format: Member is not an object."),
        ("not json", b"{id: 4}\n", "Invalid JSON"),
    ],
)
def test_bad_record_fails_atomically_into_stl_load_errors(
    case, line, reason, redshift_emulator, warehouse_url, s3, bucket
):
    key = unique(case.replace(" ", "_")) + "/nps.json"
    good = operator_json(orient="records", lines=True, date_format="iso")
    s3.put_object(Bucket=bucket, Key=key, Body=good + line)
    options = "JSON 'auto' TIMEFORMAT 'auto'"
    with nps_table(warehouse_url, EXISTING) as table:
        conn = psycopg2_connect(redshift_emulator)
        with conn.cursor() as cur:
            with pytest.raises(psycopg2.Error, match="Load into table 'nps' failed"):
                cur.execute(copy_sql(table, bucket, key, options))
            cur.execute("SELECT 'usable'")
            assert cur.fetchone() == ("usable",)
        conn.close()
        assert table_rows(warehouse_url, table) == EXISTING
        # MAXERROR lets the load skip it, as for delimited files.
        assert (
            command_tag(redshift_emulator, copy_sql(table, bucket, key, options + " MAXERROR 1")) == "COPY 3"
        )
    rows = load_errors(redshift_emulator, bucket, key)
    assert [(row[1], row[4]) for row in rows] == [(4, 1216), (4, 1216)]
    assert rows[0][5].startswith(reason)
    assert rows[0][6].strip() == line.decode().strip()


def test_jsonpaths_that_do_not_match_the_columns_are_refused(redshift_emulator, warehouse_url, s3, bucket):
    prefix = unique("jsonpaths_bad")
    s3.put_object(Bucket=bucket, Key=f"{prefix}/paths.json", Body=b'{"jsonpaths": ["$.id", "$.score"]}')
    s3.put_object(Bucket=bucket, Key=f"{prefix}/data.json", Body=b'{"id": 1}\n')
    with nps_table(warehouse_url, EXISTING) as table:
        with pytest.raises(
            psycopg2.Error, match="Number of jsonpaths and the number of columns should match"
        ):
            sql = copy_sql(table, bucket, f"{prefix}/data.json", f"JSON 's3://{bucket}/{prefix}/paths.json'")
            command_tag(redshift_emulator, sql)
        assert table_rows(warehouse_url, table) == EXISTING


@pytest.mark.parametrize("option", ["DELIMITER ','", "IGNOREHEADER 1", "NULL AS 'x'"])
def test_delimited_text_options_are_refused_with_json(option, redshift_emulator, warehouse_url, bucket):
    with nps_table(warehouse_url) as table, pytest.raises(psycopg2.Error, match="not supported for JSON"):
        command_tag(redshift_emulator, copy_sql(table, bucket, "any.json", f"JSON 'auto' {option}"))
