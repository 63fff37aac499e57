"""COPY from S3 and UNLOAD through the wire: bad input fails like Redshift (clear error, table untouched,
stl_load_errors where Redshift writes a row, connection still usable), and the history masks secrets."""

from __future__ import annotations

import gzip
import subprocess
import time

import psycopg
import psycopg2
import pytest

from tests.emulator.wire_helpers import (
    NPS_ROWS,
    copy_sql,
    load_errors,
    nps_table,
    psql_command,
    psql_env,
    psycopg2_connect,
    psycopg_connect,
    query_direct,
    redshift_connect,
    table_rows,
    unique,
)

EXISTING = [(9, "2023-12-31 09:00:00", 9)]


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    ("case", "body", "options", "message", "err_code"),
    [
        ("missing prefix", None, "csv", "The specified S3 prefix", None),
        ("malformed csv", b'1,"2024-01-01 00:00:00,5\n', "csv", "Load into table 'nps' failed", 1214),
        (
            "wrong column count",
            b"1,2024-01-01 00:00:00,5,extra\n",
            "csv",
            "Load into table 'nps' failed",
            1202,
        ),
        ("bad timestamp", b"1,yesterday noon,5\n", "csv", "Load into table 'nps' failed", 1206),
        ("corrupt gzip", b"this is not gzip", "csv gzip", "gzip", None),
        ("unknown option", NPS_ROWS, "csv frobnicate", "FROBNICATE", None),
    ],
)
def test_bad_copy(case, body, options, message, err_code, redshift_emulator, warehouse_url, s3, bucket):
    key = unique(case.replace(" ", "_")) + "/nps.csv"
    if body is not None:
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    with nps_table(warehouse_url, EXISTING) as table:
        conn = psycopg2_connect(redshift_emulator)
        with conn.cursor() as cur:
            with pytest.raises(psycopg2.Error) as raised:
                cur.execute(copy_sql(table, bucket, key, options))
            assert message.lower() in raised.value.pgerror.lower()
            cur.execute("SELECT 'usable'")
            assert cur.fetchone() == ("usable",)
        conn.close()
        assert table_rows(warehouse_url, table) == EXISTING
    rows = load_errors(redshift_emulator, bucket, key)
    assert [row[4] for row in rows] == ([] if err_code is None else [err_code])


def test_wrong_bucket(redshift_emulator, warehouse_url):
    with nps_table(warehouse_url, EXISTING) as table:
        conn = redshift_connect(redshift_emulator)
        cur = conn.cursor()
        with pytest.raises(Exception, match="NoSuchBucket"):
            cur.execute(copy_sql(table, unique("no-such-bucket").replace("_", "-"), "nps.csv"))
        cur.execute("SELECT 1")
        assert cur.fetchall() == ([1],)
        conn.close()
        assert table_rows(warehouse_url, table) == EXISTING


def test_gzip_and_header_through_extended_protocol(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("gzip") + "/nps.csv.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(b"id,created_at,score\n" + NPS_ROWS))
    with nps_table(warehouse_url) as table, psycopg_connect(redshift_emulator) as conn:
        cur = conn.execute(copy_sql(table, bucket, key, "csv gzip ignoreheader 1"), prepare=True)
        assert cur.statusmessage == "COPY 3"
        assert len(table_rows(warehouse_url, table)) == 3


def test_history_masks_secrets(redshift_emulator, warehouse_url, s3, bucket):
    secret = unique("WireSecretKey")
    key = unique("history") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=NPS_ROWS)
    credentials = f"aws_access_key_id=test;aws_secret_access_key={secret}"
    with nps_table(warehouse_url) as table:
        conn = redshift_connect(redshift_emulator)
        cur = conn.cursor()
        cur.execute(copy_sql(table, bucket, key, credentials=credentials))
        with pytest.raises(Exception, match="division by zero"):
            cur.execute("SELECT 1/0")
        cur.execute(
            "SELECT query_text, status, error_message, user_name, database_name, elapsed_time >= 0"
            " FROM sys_query_history WHERE query_text LIKE %s OR query_text = 'SELECT 1/0'"
            " ORDER BY query_id DESC LIMIT 2",
            (f"%{key}%",),
        )
        (failed, copied) = cur.fetchall()
        cur.execute("SELECT count(*) FROM stl_query WHERE querytxt LIKE %s", (f"%{key}%",))
        assert cur.fetchone() == [1]
        conn.close()
    assert failed[1:] == [
        "failed",
        "division by zero",
        redshift_emulator.user,
        redshift_emulator.database,
        True,
    ]
    assert copied[1] == "success" and key in copied[0] and "***" in copied[0]
    assert secret not in copied[0]
    assert secret not in redshift_emulator.process.log_path.read_text()


def test_load_error_row_survives_the_client_rollback(redshift_emulator, warehouse_url, s3, bucket):
    """stl_load_errors is written outside the client's transaction, so every session sees it at once."""
    key = unique("rollback") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=b"1,2024-01-01 00:00:00,x\n")
    with nps_table(warehouse_url) as table:
        conn = psycopg2_connect(redshift_emulator, autocommit=False)
        with conn.cursor() as cur, pytest.raises(psycopg2.Error):
            cur.execute(copy_sql(table, bucket, key))
        assert len(load_errors(redshift_emulator, bucket, key)) == 1  # before the client rolls back
        conn.rollback()
        conn.close()
    assert len(load_errors(redshift_emulator, bucket, key)) == 1


def test_unload_writes_s3_and_refuses_to_overwrite(redshift_emulator, warehouse_url, s3, bucket):
    prefix = unique("unload") + "/nps_"
    unload = (
        "UNLOAD ('SELECT id, score FROM {table} ORDER BY id') TO 's3://{bucket}/{prefix}'"
        " credentials 'aws_access_key_id=test;aws_secret_access_key=test' parallel off"
    )
    with nps_table(warehouse_url, [(1, "2024-01-01", 5), (2, "2024-01-02", 6)]) as table:
        conn = psycopg2_connect(redshift_emulator)
        with conn.cursor() as cur:
            cur.execute(unload.format(table=table, bucket=bucket, prefix=prefix))
            assert cur.statusmessage == "UNLOAD"
            with pytest.raises(psycopg2.Error, match="ALLOWOVERWRITE"):
                cur.execute(unload.format(table=table, bucket=bucket, prefix=prefix))
            cur.execute("SELECT 'usable'")
            assert cur.fetchone() == ("usable",)
        conn.close()
    body = s3.get_object(Bucket=bucket, Key=f"{prefix}000")["Body"].read()
    assert body == b"1|5\n2|6\n"


def test_refused_statement_through_extended_protocol(redshift_emulator, warehouse_url, s3, bucket):
    """rewrite() refusing a Parse: redshift_connector gets the emulator's error, then goes on."""
    key = unique("refused") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=NPS_ROWS)
    with nps_table(warehouse_url, EXISTING) as table:
        conn = redshift_connect(redshift_emulator)
        cur = conn.cursor()
        with pytest.raises(Exception, match="FROBNICATE"):
            cur.execute(copy_sql(table, bucket, key, "csv frobnicate"))
        cur.execute(copy_sql(table, bucket, key))
        conn.close()
        # psycopg 3 sends Parse, Bind, Describe, Execute and Sync at once: the refusal skips to the Sync.
        with psycopg_connect(redshift_emulator) as conn3:
            with pytest.raises(psycopg.Error, match="FROBNICATE"):
                conn3.execute(copy_sql(table, bucket, key, "csv frobnicate"))
            assert conn3.execute("SELECT 'usable'").fetchone() == ("usable",)
        assert len(table_rows(warehouse_url, table)) == 4


def test_replace_in_one_simple_query(redshift_emulator, warehouse_url, s3, bucket):
    """BEGIN; DELETE; COPY; COMMIT sent as one Query string (psql -c): the COPY runs in the middle."""
    key = unique("oneshot") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=NPS_ROWS)
    with nps_table(warehouse_url, EXISTING) as table:
        sql = f"BEGIN; DELETE FROM {table}; {copy_sql(table, bucket, key).strip()} COMMIT;"
        result = subprocess.run(
            psql_command(redshift_emulator, "-c", sql),
            capture_output=True,
            text=True,
            env=psql_env(redshift_emulator),
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert [row[0] for row in table_rows(warehouse_url, table)] == [1, 2, 3]


def test_client_killed_during_s3_copy_leaves_nothing_behind(redshift_emulator, warehouse_url, s3, bucket):
    key = unique("killcopy") + "/nps.csv"
    rows = b"".join(b"%d,2024-01-01 00:00:00,%d\n" % (n, n % 11) for n in range(1, 300_001))
    s3.put_object(Bucket=bucket, Key=key, Body=rows)
    app = unique("killed_copy")
    with nps_table(warehouse_url) as table:
        process = subprocess.Popen(
            psql_command(redshift_emulator, "-c", copy_sql(table, bucket, key)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=psql_env(redshift_emulator, PGAPPNAME=app),
        )
        copying = (
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND query LIKE '%%FROM STDIN%%'"
        )
        try:
            assert wait_for(lambda: query_direct(warehouse_url, copying, (app,)), timeout=30)
        finally:
            process.kill()
            process.wait()
        gone = "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
        assert wait_for(lambda: not query_direct(warehouse_url, gone, (app,)), timeout=30)
        assert table_rows(warehouse_url, table) == []
