"""UNLOAD ... FORMAT AS PARQUET | JSON through the emulator, a real PostgreSQL and a real S3 server: the
files keep the types, pandas reads them, and COPY loads them back equal."""

from __future__ import annotations

import gzip
import io
import json

import pandas as pd
import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.emulator.wire_helpers import TEST_KEYS, command_tag, fresh_schema, query_direct, unique

TYPES_DDL = """CREATE TABLE {table} (
    small smallint, whole integer, big bigint, amount numeric(10, 2), ratio double precision, share real,
    flag boolean, label varchar(40), day date, at timestamp, instant timestamptz)"""
TYPES_ROWS = """INSERT INTO {table} VALUES
    (1, 100000, 10000000000, 12.50, 0.25, 1.5, true, 'plain', '2024-01-01', '2024-01-01 10:00:00',
     '2024-01-01 10:00:00+00'),
    (-2, -7, -8, -0.05, -1e10, 0, false, 'line "two",\\ with, commas', '1999-12-31', '1999-12-31 23:59:59.5',
     '1999-12-31 23:59:59.5+00'),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL)"""
SELECT_ALL = (
    "SELECT small, whole, big, amount, ratio, share, flag, label, day, at, instant FROM {table} ORDER BY 2"
)


def objects(s3, bucket: str, prefix: str) -> dict[str, bytes]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listing}


@pytest.fixture
def types_table(warehouse_url, redshift_emulator):
    with fresh_schema(warehouse_url) as schema:
        table = f"{schema}.kinds"
        command_tag(redshift_emulator, TYPES_DDL.format(table=table))
        command_tag(redshift_emulator, TYPES_ROWS.format(table=table))
        yield schema, table


def unload(table: str, bucket: str, prefix: str, options: str) -> str:
    return (
        f"UNLOAD ('SELECT * FROM {table} ORDER BY whole') TO 's3://{bucket}/{prefix}'"
        f" CREDENTIALS '{TEST_KEYS}' {options}"
    )


def test_parquet_keeps_the_types_and_loads_back_equal(
    types_table, redshift_emulator, warehouse_url, s3, bucket
):
    schema, table = types_table
    prefix = unique("unload_parquet") + "/kinds_"
    assert command_tag(redshift_emulator, unload(table, bucket, prefix, "FORMAT AS PARQUET")) == "UNLOAD"
    files = objects(s3, bucket, prefix)
    assert list(files) == [f"{prefix}0000_part_00.parquet"]
    parquet = pq.read_table(io.BytesIO(files[f"{prefix}0000_part_00.parquet"]))
    assert parquet.schema.types == [
        pa.int16(),
        pa.int32(),
        pa.int64(),
        pa.decimal128(38, 2),
        pa.float64(),
        pa.float32(),
        pa.bool_(),
        pa.string(),
        pa.date32(),
        pa.timestamp("us"),
        pa.timestamp("us", tz="UTC"),
    ]
    frame = pd.read_parquet(io.BytesIO(files[f"{prefix}0000_part_00.parquet"]))
    assert list(frame["label"]) == ['line "two",\\ with, commas', "plain", ""]
    assert str(frame["at"].iloc[0]) == "1999-12-31 23:59:59.500000"

    copy = f"{schema}.kinds_copy"
    command_tag(redshift_emulator, TYPES_DDL.format(table=copy))
    sql = f"COPY {copy} FROM 's3://{bucket}/{prefix}' CREDENTIALS '{TEST_KEYS}' FORMAT AS PARQUET"
    assert command_tag(redshift_emulator, sql) == "COPY 3"
    assert query_direct(warehouse_url, SELECT_ALL.format(table=copy)) == query_direct(
        warehouse_url, SELECT_ALL.format(table=table)
    )


def test_json_lines_load_back_equal_and_pandas_reads_them(
    types_table, redshift_emulator, warehouse_url, s3, bucket
):
    schema, table = types_table
    prefix = unique("unload_json") + "/kinds_"
    assert (
        command_tag(redshift_emulator, unload(table, bucket, prefix, "FORMAT JSON GZIP PARALLEL OFF"))
        == "UNLOAD"
    )
    files = objects(s3, bucket, prefix)
    assert list(files) == [f"{prefix}000.gz"]
    lines = gzip.decompress(files[f"{prefix}000.gz"]).decode().splitlines()
    first = json.loads(lines[0])
    assert first["amount"] == -0.05 and first["at"] == "1999-12-31 23:59:59.500000"
    assert first["instant"] == "1999-12-31 23:59:59.500000+00" and first["flag"] is False
    assert json.loads(lines[2])["small"] is None
    frame = pd.read_json(io.StringIO("\n".join(lines)), lines=True)
    assert frame["big"].tolist()[:2] == [-8, 10000000000] and frame["big"].isna().tolist()[2]

    copy = f"{schema}.kinds_copy"
    command_tag(redshift_emulator, TYPES_DDL.format(table=copy))
    options = "JSON 'auto' GZIP TIMEFORMAT 'auto'"
    sql = f"COPY {copy} FROM 's3://{bucket}/{prefix}' CREDENTIALS '{TEST_KEYS}' {options}"
    assert command_tag(redshift_emulator, sql) == "COPY 3"
    assert query_direct(warehouse_url, SELECT_ALL.format(table=copy)) == query_direct(
        warehouse_url, SELECT_ALL.format(table=table)
    )


def test_no_rows_no_parquet_file(types_table, redshift_emulator, s3, bucket):
    _, table = types_table
    prefix = unique("unload_empty") + "/none_"
    sql = (
        f"UNLOAD ('SELECT * FROM {table} WHERE false') TO 's3://{bucket}/{prefix}' CREDENTIALS '{TEST_KEYS}'"
    )
    assert command_tag(redshift_emulator, sql + " FORMAT PARQUET MANIFEST") == "UNLOAD"
    assert json.loads(objects(s3, bucket, prefix)[f"{prefix}manifest"]) == {"entries": []}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("FORMAT AS PARQUET HEADER", "HEADER argument is not supported for PARQUET based UNLOAD"),
        ("FORMAT AS PARQUET GZIP", "GZIP argument is not supported for PARQUET based UNLOAD"),
        ("FORMAT AS JSON DELIMITER ','", "DELIMITER argument is not supported for JSON based UNLOAD"),
        ("FORMAT AS ORC", "UNLOAD option FORMAT ORC is not supported"),
    ],
)
def test_refused(options, message, redshift_emulator, bucket):
    with pytest.raises(psycopg2.Error, match=message):
        command_tag(redshift_emulator, f"UNLOAD ('SELECT 1') TO 's3://{bucket}/refused_' {options}")


def test_a_type_without_a_parquet_rule_is_refused_by_name_and_leaves_no_file(redshift_emulator, s3, bucket):
    prefix = unique("unload_interval") + "/spans_"
    sql = (
        "UNLOAD ('SELECT 1 AS id, interval ''1 day'' AS span') "
        f"TO 's3://{bucket}/{prefix}' CREDENTIALS '{TEST_KEYS}' FORMAT AS PARQUET"
    )
    with pytest.raises(psycopg2.Error, match="does not support the type of column 2"):
        command_tag(redshift_emulator, sql)
    assert objects(s3, bucket, prefix) == {}
