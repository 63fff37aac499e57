"""S3Unload against the real moto server, fed by the real PostgreSQL running the statement rewrite()
produces (psycopg2's copy_expert plays the emulator's wire side)."""

from __future__ import annotations

import gzip
import uuid

import pytest

from emulators.redshift.errors import RedshiftError
from emulators.redshift.sql.rewrite import rewrite
from emulators.redshift.unload import writer as unload
from emulators.redshift.unload.writer import S3Unload

QUERY = "select id, nullif(id % 3, 0) as score, ''a|b'' as note from generate_series(1, 4) as id"


class UnloadWriter:
    """The file-like object copy_expert writes to: each write is one CopyData message, one row, as the
    emulator's wire side hands them to the unloader."""

    def __init__(self, unloader: S3Unload):
        self.unloader = unloader

    def write(self, data):
        self.unloader.write([bytes(data)])


@pytest.fixture(autouse=True)
def ambient_credentials(monkeypatch):
    """IAM_ROLE makes the emulator use its own (ambient) credentials, as its process environment has."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def prefix(bucket):
    return f"s3://{bucket}/unload-{uuid.uuid4().hex[:8]}/nps_"


def run_unload(warehouse, sql, endpoint):
    result = rewrite(sql)
    (plan,) = result.actions
    unloader = S3Unload(plan, endpoint)
    unloader.start()
    with warehouse.cursor() as cur:
        cur.copy_expert(result.sql, UnloadWriter(unloader))
    return unloader.finish()


def read(s3, bucket, key) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_parallel_off_csv_header(warehouse, s3, bucket, prefix, s3_endpoint):
    keys = run_unload(
        warehouse, f"UNLOAD ('{QUERY}') TO '{prefix}' IAM_ROLE default CSV HEADER PARALLEL OFF", s3_endpoint
    )
    key = prefix.removeprefix(f"s3://{bucket}/") + "000"
    assert keys == [key]
    assert read(s3, bucket, key) == b"id,score,note\n1,1,a|b\n2,2,a|b\n3,,a|b\n4,1,a|b\n"


def test_parallel_on_gzip_default_text_format(warehouse, s3, bucket, prefix, s3_endpoint):
    keys = run_unload(warehouse, f"UNLOAD ('{QUERY}') TO '{prefix}' IAM_ROLE default GZIP", s3_endpoint)
    key = prefix.removeprefix(f"s3://{bucket}/") + "0000_part_00.gz"
    assert keys == [key]
    # pipe-delimited, nulls as zero-length strings, the delimiter in data written as is (no ESCAPE)
    assert gzip.decompress(read(s3, bucket, key)) == b"1|1|a|b\n2|2|a|b\n3||a|b\n4|1|a|b\n"


def test_existing_files_need_allowoverwrite(warehouse, s3, bucket, prefix, s3_endpoint):
    sql = f"UNLOAD ('select 1') TO '{prefix}' IAM_ROLE default PARALLEL OFF"
    run_unload(warehouse, sql, s3_endpoint)
    with pytest.raises(RedshiftError, match="Specified unload destination on S3 is not empty"):
        S3Unload(rewrite(sql).actions[0], s3_endpoint).start()
    keys = run_unload(
        warehouse,
        f"UNLOAD ('select 2') TO '{prefix}' IAM_ROLE default PARALLEL OFF ALLOWOVERWRITE",
        s3_endpoint,
    )
    assert read(s3, bucket, keys[0]) == b"2\n"


def test_large_unload_is_a_multipart_upload(warehouse, s3, bucket, prefix, s3_endpoint, monkeypatch):
    monkeypatch.setattr(unload, "PART_SIZE", 5 * 1024 * 1024)  # S3's minimum part size
    query = "select i, md5(i::text) from generate_series(1, 300000) as i"
    (key,) = run_unload(
        warehouse, f"UNLOAD ('{query}') TO '{prefix}' IAM_ROLE default CSV PARALLEL OFF", s3_endpoint
    )
    body = read(s3, bucket, key)
    assert len(body) > 2 * unload.PART_SIZE
    assert body.count(b"\n") == 300000 and body.startswith(b"1,c4ca4238a0b923820dcc509a6f75849b\n")


def test_abort_leaves_nothing(s3, bucket, prefix, s3_endpoint, monkeypatch):
    monkeypatch.setattr(unload, "PART_SIZE", 5 * 1024 * 1024)
    unloader = S3Unload(
        rewrite(f"UNLOAD ('select 1') TO '{prefix}' IAM_ROLE default").actions[0], s3_endpoint
    )
    unloader.start()
    unloader.write([b"x" * (6 * 1024 * 1024) + b"\n"])  # one part uploaded already
    unloader.abort()
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix.removeprefix(f"s3://{bucket}/"))
    assert listing.get("KeyCount") == 0
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_missing_bucket(s3_endpoint):
    sql = f"UNLOAD ('select 1') TO 's3://no-such-bucket-{uuid.uuid4().hex[:6]}/u_' IAM_ROLE default"
    with pytest.raises(RedshiftError) as raised:
        S3Unload(rewrite(sql).actions[0], s3_endpoint).start()
    assert raised.value.message.startswith("S3ServiceException:") and "Status 404" in raised.value.message
