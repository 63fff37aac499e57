"""A client that goes away in the middle of an UNLOAD: the UNLOAD is aborted, its multipart upload aborted
and the files it had finished deleted, so nothing is left in S3 that no successful statement wrote."""

from __future__ import annotations

import time

from tests.emulator.raw_wire import logged_in_socket, message
from tests.emulator.wire_helpers import TEST_KEYS, psycopg2_connect, unique

# About 160 MB of rows in files of 20 MB: a file is finished every 16,000 rows or so, and the one being
# written becomes a multipart upload once it passes one part (8 MiB, unload.PART_SIZE).
UNLOAD = (
    "UNLOAD ('select g, repeat(md5(g::text), 40) from generate_series(1, 125000) g') "
    "TO 's3://{bucket}/{prefix}/part_' CREDENTIALS '{keys}' MAXFILESIZE 20 MB ALLOWOVERWRITE"
)


def leftovers(s3, bucket: str, prefix: str) -> tuple[list[str], list[str]]:
    objects = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads", [])
    return [item["Key"] for item in objects], [item["Key"] for item in uploads]


def test_a_client_that_disconnects_mid_unload_leaves_nothing_in_s3(redshift_emulator, s3, bucket):
    prefix = unique("gone")
    sock = logged_in_socket(redshift_emulator)
    sock.sendall(message(b"Q", UNLOAD.format(bucket=bucket, prefix=prefix, keys=TEST_KEYS).encode() + b"\0"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        objects, uploads = leftovers(s3, bucket, prefix)
        if objects and uploads:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(
            f"the UNLOAD wrote no finished file and open upload in 60 s: {objects} {uploads}"
        )
    sock.close()  # mid-UNLOAD: finished files and an open multipart upload

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(leftovers(s3, bucket, prefix)):
        time.sleep(0.2)
    objects, uploads = leftovers(s3, bucket, prefix)
    assert not objects, f"files of the abandoned UNLOAD are left in S3: {objects}"
    assert not uploads, f"multipart uploads of the abandoned UNLOAD are left open: {uploads}"
    conn = psycopg2_connect(redshift_emulator)  # and the emulator serves on
    with conn.cursor() as cur:
        cur.execute("select 1")
        assert cur.fetchone() == (1,)
    conn.close()
