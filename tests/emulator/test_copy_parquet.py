"""COPY ... FORMAT AS PARQUET through the emulator, a real PostgreSQL and a real S3 server: columns by
position, Redshift's type rules, Spectrum's errors naming the file, and a failed load leaves nothing."""

from __future__ import annotations

import io
import json
from datetime import datetime

import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
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
NPS = pa.table(
    {
        "id": pa.array([1, 2, 3], pa.int32()),
        "created_at": pa.array(
            [datetime(2024, 1, 1, 10), datetime(2024, 1, 2, 11, 30), None], pa.timestamp("us")
        ),
        "score": pa.array([9, None, 10], pa.int16()),
    }
)
LOADED = [(1, "2024-01-01 10:00:00", 9), (2, "2024-01-02 11:30:00", None), (3, None, 10)]


def parquet_bytes(table: pa.Table, **options) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out, **options)
    return out.getvalue()


def test_key_loads_by_position_with_nulls(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("parquet") + "/nps.parquet"
    # Names differ from the table's: Parquet columns go to the table's columns by position.
    renamed = NPS.rename_columns(["a", "b", "c"])
    s3.put_object(Bucket=bucket, Key=key, Body=parquet_bytes(renamed, row_group_size=2))
    with nps_table(warehouse_url) as table:
        assert command_tag(redshift_emulator, copy_sql(table, bucket, key, "FORMAT AS PARQUET")) == "COPY 3"
        assert table_rows(warehouse_url, table) == LOADED


def test_prefix_and_manifest_load_every_file(redshift_emulator, warehouse_url, s3, bucket):
    prefix = unique("parquet_parts")
    for part in range(2):
        rows = NPS.slice(part * 2, 2)
        s3.put_object(Bucket=bucket, Key=f"{prefix}/part{part}.parquet", Body=parquet_bytes(rows))
    entries = [{"url": f"s3://{bucket}/{prefix}/part{part}.parquet", "mandatory": True} for part in range(2)]
    s3.put_object(Bucket=bucket, Key=f"{prefix}.manifest", Body=json.dumps({"entries": entries}))
    with nps_table(warehouse_url) as table:
        assert command_tag(redshift_emulator, copy_sql(table, bucket, f"{prefix}/", "PARQUET")) == "COPY 3"
        assert table_rows(warehouse_url, table) == LOADED
    with nps_table(warehouse_url) as table:
        sql = copy_sql(table, bucket, f"{prefix}.manifest", "FORMAT PARQUET MANIFEST")
        assert command_tag(redshift_emulator, sql) == "COPY 3"
        assert table_rows(warehouse_url, table) == LOADED


def test_column_list_takes_the_file_columns_in_its_order(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("parquet_list") + "/nps.parquet"
    two = pa.table({"score": pa.array([5], pa.int16()), "id": pa.array([7], pa.int32())})
    s3.put_object(Bucket=bucket, Key=key, Body=parquet_bytes(two))
    with nps_table(warehouse_url) as table:
        sql = copy_sql(f"{table} (score, id)", bucket, key, "FORMAT AS PARQUET")
        assert command_tag(redshift_emulator, sql) == "COPY 1"
        assert table_rows(warehouse_url, table) == [(7, None, 5)]


@pytest.mark.parametrize(
    ("case", "body", "context"),
    [
        (
            "too few columns",
            parquet_bytes(NPS.select(["id", "score"])),
            "Unmatched number of columns between table and file. Table columns: 3, Data columns: 2",
        ),
        (
            # pandas writes int64; Redshift refuses it for an INTEGER column.
            "int64 into integer",
            parquet_bytes(NPS.set_column(0, "id", pa.array([1, 2, 3], pa.int64()))),
            "has an incompatible Parquet schema for column 'id'. Column type: INTEGER",
        ),
        (
            "string into smallint",
            parquet_bytes(NPS.set_column(2, "score", pa.array(["9", "7", "10"]))),
            "has an incompatible Parquet schema for column 'score'. Column type: SMALLINT",
        ),
        ("corrupt file", b"PAR1 this is not a parquet file at all PAR1", "is not a valid Parquet file"),
    ],
)
def test_bad_file_fails_naming_it_and_loads_nothing(
    case, body, context, redshift_emulator, warehouse_url, s3, bucket
):
    prefix = unique(case.replace(" ", "_"))
    # A good file first: the bad one must undo it too.
    s3.put_object(Bucket=bucket, Key=f"{prefix}/0good.parquet", Body=parquet_bytes(NPS))
    s3.put_object(Bucket=bucket, Key=f"{prefix}/1bad.parquet", Body=body)
    with nps_table(warehouse_url, EXISTING) as table:
        conn = psycopg2_connect(redshift_emulator)
        with conn.cursor() as cur:
            with pytest.raises(psycopg2.Error) as raised:
                cur.execute(copy_sql(table, bucket, f"{prefix}/", "FORMAT AS PARQUET"))
            assert raised.value.pgerror.startswith("ERROR:  Spectrum Scan Error")
            assert context in raised.value.diag.message_detail
            assert f"s3://{bucket}/{prefix}/1bad.parquet" in raised.value.diag.message_detail
            cur.execute("SELECT 'usable'")
            assert cur.fetchone() == ("usable",)
        conn.close()
        assert table_rows(warehouse_url, table) == EXISTING
    # Spectrum's errors go to the client (and SVL_S3LOG), not to stl_load_errors.
    assert load_errors(redshift_emulator, bucket, prefix) == []


def test_value_postgresql_refuses_is_named_in_stl_load_errors(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("parquet_long") + "/names.parquet"
    names = pa.table({"id": pa.array([1, 2], pa.int32()), "name": ["short", "far too long for it"]})
    s3.put_object(Bucket=bucket, Key=key, Body=parquet_bytes(names))
    with nps_table(warehouse_url) as table:
        schema = table.split(".")[0]
        command_tag(redshift_emulator, f"CREATE TABLE {schema}.names (id int, name varchar(8))")
        with pytest.raises(psycopg2.Error, match="Load into table 'names' failed"):
            command_tag(redshift_emulator, copy_sql(f"{schema}.names", bucket, key, "FORMAT AS PARQUET"))
    [row] = load_errors(redshift_emulator, bucket, key)
    assert row[:2] == (f"s3://{bucket}/{key}", 2)
    assert (row[4], row[5].strip()) == (1204, "String length exceeds DDL length")


@pytest.mark.parametrize("option", ["MAXERROR 5", "GZIP", "DELIMITER ','", "IGNOREHEADER 1"])
def test_text_options_are_refused_with_parquet(option, redshift_emulator, warehouse_url, bucket):
    with nps_table(warehouse_url) as table:
        expected = f"{option.split()[0]} argument is not supported for PARQUET based COPY"
        with pytest.raises(psycopg2.Error, match=expected):
            command_tag(
                redshift_emulator, copy_sql(table, bucket, "any.parquet", f"FORMAT AS PARQUET {option}")
            )


def test_utc_instants_load_as_their_utc_time(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("parquet_tz") + "/nps.parquet"
    # 10:00 UTC, which Paris calls 11:00: the file holds the instant, TIMESTAMP gets its UTC time.
    instants = pa.array([datetime(2024, 1, 1, 10)], pa.timestamp("us", tz="Europe/Paris"))
    local = pa.table(
        {"id": pa.array([1], pa.int32()), "created_at": instants, "score": pa.array([9], pa.int16())}
    )
    s3.put_object(Bucket=bucket, Key=key, Body=parquet_bytes(local))
    with nps_table(warehouse_url) as table:
        assert command_tag(redshift_emulator, copy_sql(table, bucket, key, "FORMAT AS PARQUET")) == "COPY 1"
        assert table_rows(warehouse_url, table) == [(1, "2024-01-01 10:00:00", 9)]
