"""S3Load against the real moto server, its chunks loaded into the real PostgreSQL with the very
statement rewrite() produces (psycopg2's copy_expert plays the emulator's wire side)."""

from __future__ import annotations

import bz2
import gzip
import json
import threading
import time
import uuid

import psycopg2
import pytest

from emulators.redshift.errors import RedshiftError
from emulators.redshift.load import s3 as s3_load
from emulators.redshift.load.s3 import S3Load
from emulators.redshift.sql.rewrite import rewrite
from lab import processes
from tests.conftest import TEST_LOG_DIR

KEYS = "aws_access_key_id=test;aws_secret_access_key=test"
TABLE = "id int primary key, created_at timestamp, score smallint"


class ChunkReader:
    """The file-like object copy_expert reads: one loader chunk per read()."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)

    def read(self, size=-1):
        return next(self._chunks, b"")


@pytest.fixture
def table(warehouse):
    name = f"nps_{uuid.uuid4().hex[:8]}"
    with warehouse.cursor() as cur:
        cur.execute(f"CREATE TABLE {name} ({TABLE})")
    yield name
    with warehouse.cursor() as cur:
        cur.execute(f"DROP TABLE {name}")


@pytest.fixture
def prefix(s3, bucket):
    """A fresh key prefix; files put under it with put(name, bytes)."""
    base = f"load-{uuid.uuid4().hex[:8]}/"

    def put(name: str, body: bytes) -> None:
        s3.put_object(Bucket=bucket, Key=base + name, Body=body)

    put.base = base
    return put


def copy_into(warehouse, table, sql_tail, bucket, key, endpoint):
    """Run a Redshift COPY the way the emulator does; the loader (for load_error) and the rows."""
    result = rewrite(f"COPY {table} FROM 's3://{bucket}/{key}' CREDENTIALS '{KEYS}' {sql_tail}")
    (plan,) = result.actions
    loader = S3Load(plan, endpoint)
    loader.open()
    with warehouse.cursor() as cur:
        cur.copy_expert(result.sql, ChunkReader(loader.chunks()), size=s3_load.CHUNK_SIZE)
        cur.execute(f"SELECT id, created_at::text, score FROM {table} ORDER BY id")
        return loader, cur.fetchall()


def failed_copy(warehouse, table, sql_tail, bucket, key, endpoint):
    """A COPY PostgreSQL refuses: the loader's stl_load_errors row and client error, and the table rows."""
    result = rewrite(f"COPY {table} FROM 's3://{bucket}/{key}' CREDENTIALS '{KEYS}' {sql_tail}")
    loader = S3Load(result.actions[0], endpoint)
    loader.open()
    with warehouse.cursor() as cur:
        with pytest.raises(psycopg2.Error) as raised:
            cur.copy_expert(result.sql, ChunkReader(loader.chunks()), size=s3_load.CHUNK_SIZE)
        diag = raised.value.diag
        fields = {"C": diag.sqlstate, "M": diag.message_primary, "W": diag.context or ""}
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchone() == (0,), "a failed COPY must leave the table as it was"
    return loader.load_error(fields)


def test_prefix_loads_every_matching_object_across_listing_pages(
    warehouse, table, prefix, bucket, s3_endpoint, monkeypatch
):
    monkeypatch.setattr(s3_load, "LIST_PAGE_SIZE", 2)  # real S3 paging, small pages
    prefix("nps-000", b"1,2024-01-01 10:00:00,9\n2,2024-01-01 11:00:00,10\n")
    prefix("nps-001", b"3,2024-01-02 10:00:00,7")  # no final newline: the next file must not glue on
    prefix("nps-002", b"4,,\n")
    prefix("nps-003/part", b"5,2024-01-03 00:00:00,0\n")
    prefix("other", b"99,2024-01-01 00:00:00,1\n")
    _loader, rows = copy_into(warehouse, table, "csv", bucket, prefix.base + "nps", s3_endpoint)
    assert rows == [
        (1, "2024-01-01 10:00:00", 9),
        (2, "2024-01-01 11:00:00", 10),
        (3, "2024-01-02 10:00:00", 7),
        (4, None, None),
        (5, "2024-01-03 00:00:00", 0),
    ]


def test_gzip_with_concatenated_members_and_ignoreheader_per_file(
    warehouse, table, prefix, bucket, s3_endpoint
):
    header = b"id,created_at,score\n"
    prefix("a.csv.gz", gzip.compress(header + b"1,2024-01-01 00:00:00,1\n") + gzip.compress(b"2,,2\n"))
    prefix("b.csv.gz", gzip.compress(header + b"3,2024-01-02 00:00:00,3\n"))
    _loader, rows = copy_into(warehouse, table, "csv gzip ignoreheader 1", bucket, prefix.base, s3_endpoint)
    assert rows == [(1, "2024-01-01 00:00:00", 1), (2, None, 2), (3, "2024-01-02 00:00:00", 3)]


def test_bzip2(warehouse, table, prefix, bucket, s3_endpoint):
    prefix("a.bz2", bz2.compress(b"1|2024-01-01 00:00:00|1\n") + bz2.compress(b"2|\\N|2\n"))
    _loader, rows = copy_into(warehouse, table, "bzip2", bucket, prefix.base, s3_endpoint)
    assert rows == [(1, "2024-01-01 00:00:00", 1), (2, None, 2)]


def test_large_gzip_file_streams_in_bounded_chunks(warehouse, table, prefix, bucket, s3_endpoint):
    body = b"".join(b"%d,2024-01-01 00:00:00,%d\n" % (i, i % 10) for i in range(1, 60001))
    prefix("big.gz", gzip.compress(body))
    result = rewrite(f"COPY {table} FROM 's3://{bucket}/{prefix.base}' CREDENTIALS '{KEYS}' csv gzip")
    loader = S3Load(result.actions[0], s3_endpoint)
    loader.open()
    chunks = list(loader.chunks())
    assert b"".join(chunks) == body
    assert max(map(len, chunks)) <= s3_load.CHUNK_SIZE and len(chunks) > 1


def test_default_text_format_keeps_backslashes_and_reads_null(warehouse, prefix, bucket, s3_endpoint):
    with warehouse.cursor() as cur:
        cur.execute("CREATE TEMP TABLE words (id int, word text)")
    prefix("words", b"1|C:\\temp\\new\n2|\\N\n3|\n4|a,b\n")
    result = rewrite(f"COPY words FROM 's3://{bucket}/{prefix.base}' CREDENTIALS '{KEYS}'")
    loader = S3Load(result.actions[0], s3_endpoint)
    loader.open()
    with warehouse.cursor() as cur:
        cur.copy_expert(result.sql, ChunkReader(loader.chunks()))
        cur.execute("SELECT id, word FROM words ORDER BY id")
        assert cur.fetchall() == [(1, "C:\\temp\\new"), (2, None), (3, ""), (4, "a,b")]


def test_escape_reads_backslash_escapes(warehouse, prefix, bucket, s3_endpoint):
    with warehouse.cursor() as cur:
        cur.execute("CREATE TEMP TABLE escaped (id int, word text)")
    prefix("escaped", b"1|a\\|b\n2|back\\\\slash\n3|\\N\n")
    result = rewrite(f"COPY escaped FROM 's3://{bucket}/{prefix.base}' CREDENTIALS '{KEYS}' ESCAPE")
    loader = S3Load(result.actions[0], s3_endpoint)
    loader.open()
    with warehouse.cursor() as cur:
        cur.copy_expert(result.sql, ChunkReader(loader.chunks()))
        cur.execute("SELECT id, word FROM escaped ORDER BY id")
        assert cur.fetchall() == [(1, "a|b"), (2, "back\\slash"), (3, None)]


def test_explicit_timeformat(warehouse, table, prefix, bucket, s3_endpoint):
    prefix("us", b"1,01/02/2024 10:00:00,1\n")
    tail = "csv timeformat 'MM/DD/YYYY HH:MI:SS'"
    _loader, rows = copy_into(warehouse, table, tail, bucket, prefix.base, s3_endpoint)
    assert rows == [(1, "2024-01-02 10:00:00", 1)]


def test_manifest_not_json(prefix, bucket, s3_endpoint):
    prefix("bad.manifest", b'{"entries": [{"no_url": 1}]}')
    plan = rewrite(f"COPY t FROM 's3://{bucket}/{prefix.base}bad.manifest' CREDENTIALS '{KEYS}' manifest csv")
    with pytest.raises(RedshiftError, match="is not in correct json format"):
        S3Load(plan.actions[0], s3_endpoint).open()


def test_null_as(warehouse, table, prefix, bucket, s3_endpoint):
    prefix("n", b"1;NULL;5\n2;2024-01-01 00:00:00;NULL\n")
    _loader, rows = copy_into(
        warehouse, table, "delimiter ';' null as 'NULL'", bucket, prefix.base, s3_endpoint
    )
    assert rows == [(1, None, 5), (2, "2024-01-01 00:00:00", None)]


def test_manifest_loads_its_entries_and_skips_missing_optional_ones(
    warehouse, table, prefix, s3, bucket, s3_endpoint
):
    prefix("one", b"1,2024-01-01 00:00:00,1\n")
    prefix("two", b"2,2024-01-02 00:00:00,2\n")
    prefix("not-listed", b"3,2024-01-03 00:00:00,3\n")
    entries = [
        {"url": f"s3://{bucket}/{prefix.base}two", "mandatory": True},
        {"url": f"s3://{bucket}/{prefix.base}one", "mandatory": True},
        {"url": f"s3://{bucket}/{prefix.base}gone", "mandatory": False},
    ]
    prefix("load.manifest", json.dumps({"entries": entries}).encode())
    key = prefix.base + "load.manifest"
    _loader, rows = copy_into(warehouse, table, "csv manifest", bucket, key, s3_endpoint)
    assert rows == [(1, "2024-01-01 00:00:00", 1), (2, "2024-01-02 00:00:00", 2)]


def test_manifest_with_missing_mandatory_file(prefix, bucket, s3_endpoint):
    entries = [{"url": f"s3://{bucket}/{prefix.base}gone", "mandatory": True}]
    prefix("load.manifest", json.dumps({"entries": entries}).encode())
    plan = rewrite(
        f"COPY t FROM 's3://{bucket}/{prefix.base}load.manifest' CREDENTIALS '{KEYS}' manifest csv"
    )
    with pytest.raises(RedshiftError) as raised:
        S3Load(plan.actions[0], s3_endpoint).open()
    assert "Status 404" in raised.value.message and "gone" in raised.value.detail


@pytest.mark.parametrize(
    ("bad_line", "colname", "err_code", "err_reason", "raw_field_value"),
    [
        (b"7,2024-01-01 00:00:00,x9", "score", 1207, "Invalid digit, Value 'x', Pos 0, Type: Short", "x9"),
        (
            b"7,2024-13-45 00:00:00,1",
            "created_at",
            1206,
            "Invalid timestamp format or value",
            "2024-13-45 00:00:00",
        ),
        (b"7,2024-01-01 00:00:00,1,extra", "", 1202, "Extra column(s) found", ""),
        (b"7,2024-01-01 00:00:00", "score", 1214, "Delimiter not found", ""),
        (b"7,2024-01-01 00:00:00,99999", "score", 1204, "Overflow, Value '99999', Type: Short", "99999"),
        (b",2024-01-01 00:00:00,1", "id", 1213, "Missing data for not-null field", ""),
    ],
)
def test_bad_row_maps_to_file_and_line(
    warehouse, table, prefix, bucket, s3_endpoint, bad_line, colname, err_code, err_reason, raw_field_value
):
    prefix("part-0", b"id,created_at,score\n1,2024-01-01 00:00:00,1\n2,2024-01-01 00:00:00,2\n")
    prefix("part-1", b"id,created_at,score\n3,2024-01-01 00:00:00,3\n" + bad_line + b"\n8,,\n")
    row, error = failed_copy(warehouse, table, "csv ignoreheader 1", bucket, prefix.base, s3_endpoint)
    assert (row.filename, row.line_number) == (f"s3://{bucket}/{prefix.base}part-1", 3)
    assert row.raw_line == bad_line.decode()
    assert (row.colname, row.err_code, row.raw_field_value) == (colname, err_code, raw_field_value)
    assert row.err_reason.startswith(err_reason)
    assert error.message == (
        f"Load into table '{table}' failed.  Check 'stl_load_errors' system table for details."
    )
    assert f"code:      {err_code}" in error.detail


def test_bad_row_far_behind_the_last_chunks_is_read_again_from_s3(
    warehouse, table, prefix, bucket, s3_endpoint
):
    good = b"".join(b"%d,2024-01-01 00:00:00,1\n" % i for i in range(10, 80000))
    prefix("big", b"1,2024-01-01 00:00:00,1\n2,2024-01-01 00:00:00,oops\n" + good)
    row, _error = failed_copy(warehouse, table, "csv", bucket, prefix.base, s3_endpoint)
    assert (row.line_number, row.raw_line, row.err_code) == (2, "2,2024-01-01 00:00:00,oops", 1207)


def test_corrupt_gzip_fails_the_stream(prefix, bucket, s3_endpoint):
    prefix("bad.gz", gzip.compress(b"1,2024-01-01 00:00:00,1\n" * 1000)[:-20])
    result = rewrite(f"COPY t FROM 's3://{bucket}/{prefix.base}' CREDENTIALS '{KEYS}' csv gzip")
    loader = S3Load(result.actions[0], s3_endpoint)
    loader.open()
    with pytest.raises(RedshiftError) as raised:
        list(loader.chunks())
    assert raised.value.message.startswith("gzip: ") and "bad.gz" in raised.value.message
    assert "code:      8001" in raised.value.detail


def test_not_gzip_at_all(prefix, bucket, s3_endpoint):
    prefix("plain.gz", b"1,2024-01-01 00:00:00,1\n")
    result = rewrite(f"COPY t FROM 's3://{bucket}/{prefix.base}' CREDENTIALS '{KEYS}' csv gzip")
    loader = S3Load(result.actions[0], s3_endpoint)
    loader.open()
    with pytest.raises(RedshiftError, match=r"gzip: .*incorrect header check"):
        list(loader.chunks())


def test_endpoint_from_the_standard_environment_variable(
    warehouse, table, prefix, bucket, s3_endpoint, monkeypatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    prefix("env", b"1,2024-01-01 00:00:00,1\n")
    _loader, rows = copy_into(warehouse, table, "csv", bucket, prefix.base, None)
    assert rows == [(1, "2024-01-01 00:00:00", 1)]


def test_closing_the_stream_early_stops_the_reader(prefix, bucket, s3_endpoint, monkeypatch):
    monkeypatch.setattr(s3_load, "CHUNK_SIZE", 1024)
    prefix("many", b"1,2024-01-01 00:00:00,1\n" * 20000)
    result = rewrite(f"COPY t FROM 's3://{bucket}/{prefix.base}' CREDENTIALS '{KEYS}' csv")
    loader = S3Load(result.actions[0], s3_endpoint)
    loader.open()
    chunks = loader.chunks()
    assert next(chunks)
    chunks.close()
    deadline = time.monotonic() + 5
    while any(thread.name == "s3-load" for thread in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(thread.name == "s3-load" for thread in threading.enumerate())


def test_missing_prefix(bucket, s3_endpoint):
    result = rewrite(f"COPY t FROM 's3://{bucket}/no-such-prefix' CREDENTIALS '{KEYS}' csv")
    with pytest.raises(RedshiftError) as raised:
        S3Load(result.actions[0], s3_endpoint).open()
    assert raised.value.message == "The specified S3 prefix 'no-such-prefix' does not exist"


def test_missing_bucket(s3_endpoint):
    result = rewrite(f"COPY t FROM 's3://no-such-bucket-{uuid.uuid4().hex[:6]}/p' CREDENTIALS '{KEYS}' csv")
    with pytest.raises(RedshiftError) as raised:
        S3Load(result.actions[0], s3_endpoint).open()
    assert raised.value.message.startswith(
        "S3ServiceException:The specified bucket does not exist,Status 404,Error NoSuchBucket,Rid "
    )


def test_unreachable_endpoint(bucket):
    result = rewrite(f"COPY t FROM 's3://{bucket}/p' CREDENTIALS '{KEYS}' csv")
    with pytest.raises(RedshiftError, match="S3ServiceException:Could not connect to the endpoint URL"):
        S3Load(result.actions[0], f"http://127.0.0.1:{processes.free_port()}").open()


@pytest.fixture(scope="module")
def authenticating_s3():
    """A second moto server that checks credentials (IAM auth on from the first request): the only way
    to have real S3 refuse keys, since the shared server accepts any."""
    port = processes.free_port()
    server = processes.start(
        "s3 with auth (moto_server)",
        [str(processes.VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        TEST_LOG_DIR / "moto-auth.log",
        env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"},
    )
    server.wait_until(lambda: processes.port_answers("127.0.0.1", port), timeout=30)
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_refused_credentials(authenticating_s3):
    result = rewrite(f"COPY t FROM 's3://some-bucket/p' CREDENTIALS '{KEYS}' csv")
    with pytest.raises(RedshiftError) as raised:
        S3Load(result.actions[0], authenticating_s3).open()
    assert raised.value.message.startswith(
        "S3ServiceException:The AWS Access Key Id you provided does not exist in our records.,Status 403,"
        "Error InvalidAccessKeyId,"
    )
