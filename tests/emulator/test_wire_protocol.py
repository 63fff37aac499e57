"""The emulator as a PostgreSQL-protocol proxy: start-up, cancel, lost clients, many clients at once."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest

from emulators.redshift.cli import parse_args
from emulators.redshift.wire.server import ServerConfig
from lab import processes
from lab.config import DatabaseUrl
from tests.conftest import TEST_LOG_DIR
from tests.emulator.wire_helpers import (
    NPS_ROWS,
    copy_sql,
    nps_table,
    psql_command,
    psql_env,
    psycopg2_connect,
    query_direct,
    redshift_connect,
    unique,
)


def wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_module_entry_point_reads_env_and_never_logs_the_password(postgres_url, warehouse_database):
    """`python -m emulators.redshift` with every setting from the environment; the ready line names the
    upstream without its password."""
    upstream = DatabaseUrl.parse(postgres_url, 5432).with_database(warehouse_database)
    secret = "Sup3r-secret-pw"
    port = processes.free_port()
    env = {
        "REDSHIFT_EMULATOR_PORT": str(port),
        "REDSHIFT_EMULATOR_UPSTREAM": str(DatabaseUrl(**{**upstream.__dict__, "password": secret})),
    }
    log_path = TEST_LOG_DIR / f"emulator-env-{port}.log"
    process = processes.start(
        "emulator (env)", [sys.executable, "-m", "emulators.redshift"], log_path, env=env
    )
    try:
        process.wait_until(lambda: processes.port_answers("127.0.0.1", port), timeout=30)
        conn = psycopg2.connect(host="127.0.0.1", port=port, user=upstream.user, dbname=warehouse_database)
        with conn.cursor() as cur:
            cur.execute("SELECT current_database()")
            assert cur.fetchone() == (warehouse_database,)
        conn.close()
    finally:
        process.stop()
    log = log_path.read_text()
    assert f"redshift-emulator ready on 127.0.0.1:{port} -> upstream {upstream.host}:{upstream.port}" in log
    assert secret not in log


def test_client_that_requires_ssl_is_told_no(redshift_emulator):
    result = subprocess.run(
        psql_command(redshift_emulator, "-c", "SELECT 1"),
        capture_output=True,
        text=True,
        env=psql_env(redshift_emulator, PGSSLMODE="require"),
        timeout=30,
    )
    assert result.returncode != 0
    assert "server does not support SSL" in result.stderr


def test_unreachable_upstream_is_a_clear_connection_error(warehouse_database):
    port = processes.free_port()
    closed = processes.free_port()
    process = processes.start_redshift_emulator(
        port,
        f"postgresql://postgres@127.0.0.1:{closed}/db",
        None,
        TEST_LOG_DIR / f"emulator-closed-{port}.log",
    )
    try:
        with pytest.raises(psycopg2.OperationalError) as raised:
            psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="db", connect_timeout=5)
        assert f"could not reach PostgreSQL at 127.0.0.1:{closed}" in str(raised.value)
    finally:
        process.stop()


def test_cancel_request_reaches_upstream(redshift_emulator):
    conn = psycopg2_connect(redshift_emulator)
    threading.Timer(0.5, conn.cancel).start()
    started = time.monotonic()
    with pytest.raises(psycopg2.errors.QueryCanceled), conn.cursor() as cur:
        cur.execute("SELECT pg_sleep(30)")
    assert time.monotonic() - started < 10
    with conn.cursor() as cur:
        cur.execute("SELECT 'alive'")
        assert cur.fetchone() == ("alive",)
    conn.close()


def test_killed_client_leaves_no_transaction_or_lock_upstream(redshift_emulator, warehouse_url):
    """A learner's psql killed inside BEGIN ... LOCK: upstream's backend goes away with it."""
    app = unique("killed_psql")
    with nps_table(warehouse_url) as table:
        process = subprocess.Popen(
            psql_command(redshift_emulator),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            env=psql_env(redshift_emulator, PGAPPNAME=app),
        )
        process.stdin.write(f"BEGIN;\nLOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;\n")
        process.stdin.flush()
        in_transaction = "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND state = %s"
        held = (
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE a.application_name = %s AND l.relation = %s::regclass"
        )
        try:
            assert wait_for(lambda: query_direct(warehouse_url, in_transaction, (app, "idle in transaction")))
            assert query_direct(warehouse_url, held, (app, table)) == [(1,)]
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        assert wait_for(
            lambda: not query_direct(warehouse_url, in_transaction.split(" AND state")[0], (app,))
        )
        assert query_direct(warehouse_url, held, (app, table)) == [(0,)]
        # The table is usable at once by anybody.
        assert query_direct(warehouse_url, f"SELECT count(*) FROM {table}") == [(0,)]


def test_twenty_clients_at_once(redshift_emulator, warehouse_url, s3, bucket):
    """Queries, COPY FROM STDIN and COPY from S3 from 20 connections at the same time."""
    key = unique("concurrent") + "/nps.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=NPS_ROWS)

    def work(index: int, table: str) -> int:
        if index % 2:
            conn = psycopg2_connect(redshift_emulator)
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM generate_series(1, 1000)")
                assert cur.fetchone() == (1000,)
                rows = "".join(f"{index * 100 + n},2024-01-01,{n}\n" for n in range(50))
                cur.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv)", io.StringIO(rows))
            conn.close()
            return 50
        conn = redshift_connect(redshift_emulator)
        cur = conn.cursor()
        cur.execute(f"CREATE TEMP TABLE t{index} (LIKE {table})")
        cur.execute(copy_sql(f"t{index}", bucket, key))
        cur.execute(f"SELECT count(*) FROM t{index}")
        assert cur.fetchone() == [3]
        conn.close()
        return 0

    with nps_table(warehouse_url) as table, ThreadPoolExecutor(max_workers=20) as pool:
        loaded = sum(pool.map(lambda i: work(i, table), range(20)))
        assert query_direct(warehouse_url, f"SELECT count(*) FROM {table}") == [(loaded,)]


def test_s3_refusing_the_credentials(postgres_url, warehouse_database, warehouse_url):
    """An S3 server that checks keys (moto with authentication on) refuses the COPY's credentials."""
    s3_port, port = processes.free_port(), processes.free_port()
    moto = processes.start(
        "s3 (moto_server, authenticating)",
        [str(processes.VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
        TEST_LOG_DIR / f"moto-auth-{s3_port}.log",
        env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"},
    )
    upstream = str(DatabaseUrl.parse(postgres_url, 5432).with_database(warehouse_database))
    try:
        moto.wait_until(lambda: processes.port_answers("127.0.0.1", s3_port), timeout=30)
        emulator = processes.start_redshift_emulator(
            port, upstream, f"http://127.0.0.1:{s3_port}", TEST_LOG_DIR / f"emulator-auth-{port}.log"
        )
        try:
            with nps_table(warehouse_url) as table:
                conn = psycopg2.connect(
                    host="127.0.0.1", port=port, user="postgres", dbname=warehouse_database
                )
                conn.autocommit = True
                with conn.cursor() as cur:
                    with pytest.raises(psycopg2.Error, match="InvalidAccessKeyId") as raised:
                        cur.execute(copy_sql(table, "lab-bucket", "nps.csv"))
                    assert raised.value.pgcode == "XX000"
                    cur.execute("SELECT count(*) FROM " + table)
                    assert cur.fetchone() == (0,)
                conn.close()
        finally:
            emulator.stop()
    finally:
        moto.stop()


def test_settings_come_from_flags_then_environment():
    env = {
        "REDSHIFT_EMULATOR_HOST": "0.0.0.0",
        "REDSHIFT_EMULATOR_PORT": "6000",
        "REDSHIFT_EMULATOR_UPSTREAM": "postgresql://lab:pw@db:5433/dev",
        "AWS_ENDPOINT_URL": "http://generic:4566",
        "AWS_ENDPOINT_URL_S3": "http://s3-only:4566",
    }
    config, level = parse_args([], env)
    upstream = DatabaseUrl("postgresql", "lab", "pw", "db", 5433, "dev")
    assert config == ServerConfig("0.0.0.0", 6000, upstream, "http://s3-only:4566")
    assert level == "WARNING"
    config, _ = parse_args(["--port", "7000", "--s3-endpoint-url", "http://flag:1"], env)
    assert (config.port, config.s3_endpoint) == (7000, "http://flag:1")
    del env["AWS_ENDPOINT_URL_S3"]
    assert parse_args([], env)[0].s3_endpoint == "http://generic:4566"
