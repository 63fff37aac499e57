"""Shared by the emulator's wire tests: each client's way to connect, a fresh nps table, and the
S3 COPY text as S3ToRedshiftOperator writes it."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import psycopg2
import redshift_connector

from tests.services import postgres_connect

NPS_DDL = "CREATE TABLE {table} (id INT NOT NULL primary key, created_at timestamp, score smallint)"
NPS_ROWS = b"1,2024-01-01 10:00:00,9\n2,2024-01-02 11:30:00,7\n3,2024-01-03 12:45:00,10\n"
TEST_KEYS = "aws_access_key_id=test;aws_secret_access_key=test"


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def redshift_connect(emulator, autocommit: bool = True) -> redshift_connector.Connection:
    """How Airflow's RedshiftSQLHook connects (the lab's connection sets ssl false)."""
    conn = redshift_connector.connect(
        host=emulator.host,
        port=emulator.port,
        user=emulator.user,
        password=emulator.password,
        database=emulator.database,
        ssl=False,
    )
    conn.autocommit = autocommit
    return conn


def psycopg2_connect(emulator, autocommit: bool = True):
    conn = psycopg2.connect(
        host=emulator.host,
        port=emulator.port,
        user=emulator.user,
        password=emulator.password,
        dbname=emulator.database,
        connect_timeout=5,
    )
    conn.autocommit = autocommit
    return conn


def command_tag(emulator, sql: str) -> str:
    """Run ``sql`` through the emulator on a connection of its own (psycopg2, autocommit); its command tag."""
    conn = psycopg2_connect(emulator)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.statusmessage
    finally:
        conn.close()


def psycopg_connect(emulator, autocommit: bool = True) -> psycopg.Connection:
    return psycopg.connect(
        host=emulator.host,
        port=emulator.port,
        user=emulator.user,
        password=emulator.password,
        dbname=emulator.database,
        autocommit=autocommit,
        connect_timeout=5,
    )


def psql_command(emulator, *args: str) -> list[str]:
    return [
        "psql",
        "-X",
        "-h",
        emulator.host,
        "-p",
        str(emulator.port),
        "-U",
        emulator.user,
        "-d",
        emulator.database,
        *args,
    ]


def psql_env(emulator, **extra: str) -> dict[str, str]:
    return {**os.environ, "PGPASSWORD": emulator.password, "PGCONNECT_TIMEOUT": "5", **extra}


def psql(emulator, sql: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``sql`` through psql (unaligned, tuples only); the result keeps stdout and stderr."""
    return subprocess.run(
        psql_command(emulator, "-A", "-t", *args),
        input=sql,
        capture_output=True,
        text=True,
        env=psql_env(emulator),
        timeout=60,
    )


def direct(warehouse_url: str):
    """A connection straight to PostgreSQL, to check what the emulator left behind."""
    conn = postgres_connect(warehouse_url)
    conn.autocommit = True
    return conn


def query_direct(warehouse_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    conn = direct(warehouse_url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()
    finally:
        conn.close()


@contextmanager
def fresh_schema(warehouse_url: str, owner: str | None = None) -> Iterator[str]:
    """A schema for one test (owned by ``owner``), created straight in PostgreSQL, dropped after."""
    schema = unique("wire")
    conn = direct(warehouse_url)
    with conn.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}" + (f" AUTHORIZATION {owner}" if owner else ""))
    try:
        yield schema
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()


@contextmanager
def nps_table(warehouse_url: str, rows: list[tuple] = ()) -> Iterator[str]:
    """A fresh schema with the course's nps table (and ``rows`` in it); yields 'schema.nps'."""
    with fresh_schema(warehouse_url) as schema:
        table = f"{schema}.nps"
        conn = direct(warehouse_url)
        with conn.cursor() as cur:
            cur.execute(NPS_DDL.format(table=table))
            for row in rows:
                cur.execute(f"INSERT INTO {table} VALUES (%s, %s, %s)", row)
        conn.close()
        yield table


def table_rows(warehouse_url: str, table: str) -> list[tuple]:
    return query_direct(warehouse_url, f"SELECT id, created_at::text, score FROM {table} ORDER BY id")


def copy_sql(target: str, bucket: str, key: str, options: str = "csv", credentials: str = TEST_KEYS) -> str:
    """The COPY text S3ToRedshiftOperator._build_copy_query writes."""
    return f"""
                    COPY {target}
                    FROM 's3://{bucket}/{key}'
                    credentials
                    '{credentials}'
                    region 'us-east-1'
                    {options};
        """


def load_errors(emulator, bucket: str, key: str) -> list[tuple]:
    """stl_load_errors rows about the objects under s3://bucket/key, read as a learner would."""
    conn = psycopg2_connect(emulator)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT filename, line_number, colname, raw_field_value, err_code, err_reason, raw_line"
                " FROM stl_load_errors WHERE filename LIKE %s ORDER BY starttime",
                (f"s3://{bucket}/{key}%",),
            )
            return cur.fetchall()
    finally:
        conn.close()
