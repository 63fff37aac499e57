"""UNLOAD's text options, MAXFILESIZE and MANIFEST through a real client: psycopg2 sends the statement to the
emulator in front of real PostgreSQL, and the files are read back from the S3 server (r_UNLOAD.html)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import threading

import psycopg2
import pytest

from tests.emulator.wire_helpers import (
    TEST_KEYS,
    command_tag,
    psycopg2_connect,
    psycopg_connect,
    redshift_connect,
    unique,
)

MB = 1024 * 1024
# Values with every character the text options treat specially: delimiters, LF, CR, backslash, quotes, tab.
SPECIAL_ROWS = [
    (1, "a|b,c", None),
    (2, "line\nbreak\r", ""),
    (3, "back\\slash \"dq\" 'sq'", "tab\there"),
]


@pytest.fixture
def special_table(warehouse):
    schema = unique("unload_options")
    with warehouse.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
        cur.execute(f"CREATE TABLE {schema}.notes (id int, note varchar(50), missing varchar(50))")
        cur.executemany(f"INSERT INTO {schema}.notes VALUES (%s, %s, %s)", SPECIAL_ROWS)
    yield f"{schema}.notes"
    with warehouse.cursor() as cur:
        cur.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def prefix():
    return unique("unload_options") + "/out_"


def unload(emulator, query: str, bucket: str, prefix: str, options: str) -> str:
    """Run the UNLOAD through psycopg2; its command tag."""
    return command_tag(
        emulator, f"UNLOAD ('{query}') TO 's3://{bucket}/{prefix}' CREDENTIALS '{TEST_KEYS}' {options}"
    )


def objects(s3, bucket: str, prefix: str) -> dict[str, bytes]:
    """Every object under ``prefix``, by key relative to it."""
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {
        item["Key"].removeprefix(prefix): s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        for item in listing
    }


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param(
            "",
            b"1|a|b,c|\n" + b"2|line\nbreak\r|\n" + b"3|back\\slash \"dq\" 'sq'|tab\there\n",
            id="raw values, nulls as empty strings",
        ),
        pytest.param(
            "ESCAPE NULL AS '\\N'",
            b"1|a\\|b,c|\\\\N\n" + b"2|line\\\nbreak\\\r|\n" + b"3|back\\\\slash \"dq\" 'sq'|tab\there\n",
            id="escape",
        ),
        pytest.param(
            "ADDQUOTES",
            b'"1"|"a|b,c"|""\n'
            + b'"2"|"line\nbreak\r"|""\n'
            + b'"3"|"back\\slash "dq" \'sq\'"|"tab\there"\n',
            id="addquotes",
        ),
        pytest.param(
            "ADDQUOTES ESCAPE DELIMITER ',' NULL AS 'NULL' HEADER",
            b'"id","note","missing"\n'
            + b'"1","a|b\\,c","NULL"\n'
            + b'"2","line\\\nbreak\\\r",""\n'
            + b'"3","back\\\\slash \\"dq\\" \\\'sq\\\'","tab\there"\n',
            id="addquotes escape header",
        ),
    ],
)
def test_text_options(redshift_emulator, s3, bucket, prefix, special_table, options, expected):
    query = f"SELECT id, note, missing FROM {special_table} ORDER BY id"
    assert unload(redshift_emulator, query, bucket, prefix, f"PARALLEL OFF {options}") == "UNLOAD"
    assert objects(s3, bucket, prefix) == {"000": expected}


def test_escaped_unload_copies_back(redshift_emulator, warehouse, s3, bucket, prefix, special_table):
    """r_UNLOAD.html, ESCAPE: files unloaded with ESCAPE load back with COPY ... ESCAPE, value for value."""
    query = f"SELECT id, note, missing FROM {special_table} ORDER BY id"
    unload(redshift_emulator, query, bucket, prefix, "ESCAPE NULL AS '\\N' PARALLEL OFF")
    copy_table = special_table + "_copy"
    with warehouse.cursor() as cur:
        cur.execute(f"CREATE TABLE {copy_table} (LIKE {special_table})")
    conn = psycopg2_connect(redshift_emulator)
    with conn.cursor() as cur:
        cur.execute(
            f"COPY {copy_table} FROM 's3://{bucket}/{prefix}' CREDENTIALS '{TEST_KEYS}' ESCAPE NULL AS '\\N'"
        )
    conn.close()
    with warehouse.cursor() as cur:
        cur.execute(f"SELECT id, note, missing FROM {copy_table} ORDER BY id")
        assert cur.fetchall() == SPECIAL_ROWS


def test_maxfilesize_splits_serial_files_at_row_boundaries(redshift_emulator, s3, bucket, prefix):
    query = "SELECT i AS id, repeat(chr(97 + i % 26), 100) AS note FROM generate_series(1, 120000) AS i"
    options = "PARALLEL OFF HEADER MAXFILESIZE 5 MB MANIFEST VERBOSE"
    assert unload(redshift_emulator, query, bucket, prefix, options) == "UNLOAD"

    files = objects(s3, bucket, prefix)
    assert sorted(files) == ["000", "001", "002", "manifest"]
    rows = b"".join(f"{i}|{chr(97 + i % 26) * 100}\n".encode() for i in range(1, 120001))
    parts = [files["000"], files["001"], files["002"]]
    for part in parts:
        assert part.startswith(b"id|note\n") and part.endswith(b"\n")
        assert len(part) <= 5 * MB
    # Each file is filled as far as whole rows allow (a row here is at most 108 bytes).
    assert all(len(part) > 5 * MB - 108 for part in parts[:2])
    assert b"".join(part.removeprefix(b"id|note\n") for part in parts) == rows

    manifest = json.loads(files["manifest"])
    entries = [
        {
            "url": f"s3://{bucket}/{prefix}{name}",
            "meta": {"content_length": len(files[name]), "record_count": files[name].count(b"\n")},
        }
        for name in ("000", "001", "002")
    ]
    assert manifest == {
        "entries": entries,
        "schema": {"elements": [{"name": "id"}, {"name": "note"}]},
        # r_UNLOAD.html, MANIFEST VERBOSE: with HEADER, the row counts include the header lines.
        "meta": {"content_length": sum(map(len, parts)), "record_count": 120000 + 3},
        "author": {"name": "Amazon Redshift", "version": "1.0.0"},
    }


def test_maxfilesize_bounds_gzip_files_in_parallel_naming(redshift_emulator, s3, bucket, prefix):
    # base64 of SHA-256 digests hardly compresses: about 15 MB of gzip.
    query = (
        "SELECT i, encode(sha256(i::text::bytea), ''base64''), encode(sha256((-i)::text::bytea), ''base64'')"
        " FROM generate_series(1, 200000) AS i"
    )
    assert unload(redshift_emulator, query, bucket, prefix, "GZIP MAXFILESIZE AS 5.0 mb MANIFEST") == "UNLOAD"

    files = objects(s3, bucket, prefix)
    names = sorted(name for name in files if name != "manifest")
    assert names == [f"0000_part_{number:02d}.gz" for number in range(len(names))] and len(names) >= 3
    assert all(len(files[name]) <= 5 * MB for name in names)
    assert all(len(files[name]) > 5 * MB - 1024 for name in names[:-1])

    def digest(value: int) -> str:
        return base64.b64encode(hashlib.sha256(str(value).encode()).digest()).decode()

    rows = "".join(f"{i}|{digest(i)}|{digest(-i)}\n" for i in range(1, 200001)).encode()
    texts = [gzip.decompress(files[name]) for name in names]
    assert all(text.endswith(b"\n") for text in texts)
    assert b"".join(texts) == rows
    assert json.loads(files["manifest"]) == {
        "entries": [{"url": f"s3://{bucket}/{prefix}{n}"} for n in names]
    }


def test_no_rows_gives_one_file_and_its_manifest(redshift_emulator, s3, bucket, prefix):
    query = "SELECT 1 AS one WHERE false"
    options = "HEADER ADDQUOTES MAXFILESIZE 6.2 GB MANIFEST VERBOSE"
    assert unload(redshift_emulator, query, bucket, prefix, options) == "UNLOAD"
    files = objects(s3, bucket, prefix)
    assert files["0000_part_00"] == b'"one"\n'
    manifest = json.loads(files["manifest"])
    assert manifest["entries"] == [
        {"url": f"s3://{bucket}/{prefix}0000_part_00", "meta": {"content_length": 6, "record_count": 1}}
    ]
    assert manifest["meta"] == {"content_length": 6, "record_count": 1}


def test_failed_unload_leaves_no_file_behind(redshift_emulator, s3, bucket, prefix):
    """The query fails after two files of 5 MB are complete: they are deleted, and the client sees why."""
    query = "SELECT i, repeat(''x'', 100), 1 / (110000 - i) FROM generate_series(1, 120000) AS i"
    with pytest.raises(psycopg2.errors.DivisionByZero):
        unload(redshift_emulator, query, bucket, prefix, "PARALLEL OFF MAXFILESIZE 5 MB MANIFEST")
    assert objects(s3, bucket, prefix) == {}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("CSV ADDQUOTES", "ADDQUOTES is not supported for UNLOAD to CSV"),
        ("FORMAT AS CSV ESCAPE", "UNLOAD option ESCAPE is not supported by the Redshift emulator"),
        ("MAXFILESIZE 4 MB", "MAXFILESIZE 4 MB is out of range"),
        ("MAXFILESIZE AS 6.3 GB", "MAXFILESIZE 6.3 GB is out of range"),
        ("MAXFILESIZE 'big'", "syntax error at or near \"'big'\""),
        ("VERBOSE", 'syntax error at or near "VERBOSE"'),
    ],
)
def test_refused_options(redshift_emulator, s3, bucket, prefix, options, message):
    with pytest.raises(psycopg2.Error, match=message):
        unload(redshift_emulator, "SELECT 1", bucket, prefix, options)
    assert objects(s3, bucket, prefix) == {}


@pytest.mark.parametrize(
    ("destination", "message"),
    [("not empty", "Specified unload destination on S3 is not empty"), ("missing bucket", "Status 404")],
)
def test_failed_unload_aborts_the_transaction(
    redshift_emulator, warehouse, s3, bucket, prefix, destination, message
):
    """A statement that fails leaves Redshift's transaction block aborted until ROLLBACK, an UNLOAD whose
    S3 side fails as much as any other."""
    if destination == "not empty":
        s3.put_object(Bucket=bucket, Key=prefix + "000", Body=b"earlier\n")
    else:
        bucket = unique("no-such-bucket").replace("_", "-")
    schema = unique("unload_tx")
    with warehouse.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
        cur.execute(f"CREATE TABLE {schema}.t (id int)")
    conn = psycopg2_connect(redshift_emulator, autocommit=False)
    try:
        with conn.cursor() as cur:
            cur.execute(f"INSERT INTO {schema}.t VALUES (1)")
            with pytest.raises(psycopg2.Error, match=message) as failure:
                cur.execute(
                    f"UNLOAD ('SELECT 1') TO 's3://{bucket}/{prefix}' CREDENTIALS '{TEST_KEYS}' PARALLEL OFF"
                )
            # One error and one ReadyForQuery: libpq keeps every error of the statement in error_message,
            # and tells of a ReadyForQuery that ends nothing in a notice.
            assert conn.info.error_message == failure.value.pgerror
            assert conn.notices == []
            assert conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_INERROR
            with pytest.raises(
                psycopg2.errors.InFailedSqlTransaction, match="current transaction is aborted"
            ):
                cur.execute(f"SELECT count(*) FROM {schema}.t")
            conn.rollback()
            cur.execute(f"SELECT count(*) FROM {schema}.t")
            assert cur.fetchone() == (0,)
    finally:
        conn.close()
        with warehouse.cursor() as cur:
            cur.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.mark.parametrize(
    "connect", [redshift_connect, psycopg_connect], ids=["redshift_connector", "psycopg"]
)
def test_unload_over_the_extended_protocol(redshift_emulator, s3, bucket, prefix, connect):
    """Airflow's RedshiftSQLHook (redshift_connector) and psycopg 3 send Parse/Bind/Execute/Sync: the UNLOAD's
    output must reach S3 although the client's Sync waits behind it, and the session must answer again."""
    sql = f"UNLOAD ('select 1 as one') TO 's3://{bucket}/{prefix}' CREDENTIALS '{TEST_KEYS}' PARALLEL OFF"
    conn = connect(redshift_emulator)
    answers: list = []

    def unload_then_query() -> None:
        cursor = conn.cursor()
        cursor.execute(sql)
        cursor.execute("select 2")
        answers.append(cursor.fetchone()[0])

    worker = threading.Thread(target=unload_then_query, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the UNLOAD never answered over the extended protocol"
    conn.close()
    assert answers == [2]
    assert objects(s3, bucket, prefix) == {"000": b"1\n"}
