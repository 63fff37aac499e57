"""Memory the emulator gives back: concurrent COPYs share S3 clients, and the statement caches are bounded
by bytes, not only by entries."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import psutil

from emulators.redshift.wire import statement_cache
from tests.emulator.wire_helpers import NPS_DDL, NPS_ROWS, copy_sql, psycopg2_connect, unique

CONCURRENT_COPIES = 20


def rss_mb(emulator) -> float:
    return psutil.Process(emulator.process.pid).memory_info().rss / 2**20


def copy_into_new_table(emulator, bucket: str, key: str) -> None:
    table = unique("mem")
    conn = psycopg2_connect(emulator)
    try:
        with conn.cursor() as cur:
            cur.execute(NPS_DDL.format(table=table))
            cur.execute(copy_sql(table, bucket, key))
            cur.execute(f"SELECT count(*) FROM {table}")
            assert cur.fetchone() == (3,)
            cur.execute(f"DROP TABLE {table}")
    finally:
        conn.close()


def test_rss_after_twenty_concurrent_copies_returns_within_50_mb(redshift_emulator, s3, bucket):
    key = f"{unique('memory')}/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=NPS_ROWS)
    copy_into_new_table(redshift_emulator, bucket, key)  # boto3 imported and warmed: the baseline is fair
    before = rss_mb(redshift_emulator)
    with ThreadPoolExecutor(CONCURRENT_COPIES) as pool:
        loads = [
            pool.submit(copy_into_new_table, redshift_emulator, bucket, key) for _ in range(CONCURRENT_COPIES)
        ]
        for load in loads:
            load.result()
    time.sleep(0.5)
    after = rss_mb(redshift_emulator)
    assert after - before < 50, (
        f"RSS went from {before:.0f} MB to {after:.0f} MB after {CONCURRENT_COPIES} concurrent COPYs"
    )


def test_the_statement_caches_stay_within_their_byte_budget():
    statement_cache.clear()
    for number in range(40):
        big = f"select nvl(a, {number}) from t where b = '{'x' * 1_000_000}'"
        rewritten, _ = statement_cache.rewrite_query(big.encode() + b"\0")
        assert "coalesce" in rewritten.sql.lower()
    held = statement_cache.cached_bytes()
    assert held <= statement_cache.BYTE_BUDGET, f"the caches hold {held} bytes"
    # Small statements are still cached: the second call is the first's answer, not a new rewrite.
    first = statement_cache.rewrite_query(b"select nvl(a, 1) from t\0")
    assert statement_cache.rewrite_query(b"select nvl(a, 1) from t\0") is first
