"""The warehouse side the course says must exist before a DAG runs: the schema and its tables.

Created through the Redshift endpoint of the settings (the emulator in the lab), with Redshift DDL.
"""

from __future__ import annotations

import psycopg2

from lab.cli import UsageError
from lab.config import Settings, redact

# The course's DDL for the full-refresh and upsert DAGs.
NPS_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.nps (
    id INT NOT NULL primary key,
    created_at timestamp,
    score smallint
)
"""
# The ROW_NUMBER DAG's table: the columns of prod.nps_changes, in the same order, so that
# `SELECT *` exports COPY straight in.
NPS_CHANGES_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.nps_changes (
    id INT NOT NULL primary key,
    created_at timestamp,
    score smallint,
    modified timestamp,
    deleted boolean
)
"""
TABLES = {"nps": NPS_DDL, "nps_changes": NPS_CHANGES_DDL}


def connect(settings: Settings):
    url = settings.redshift
    try:
        return psycopg2.connect(
            host=url.host,
            port=url.port,
            user=url.user,
            password=url.password,
            dbname=url.database,
            connect_timeout=5,
        )
    except psycopg2.Error as error:
        first_line = str(error).strip().splitlines()[0]
        raise UsageError(f"cannot reach Redshift at {redact(str(url))}: {first_line}") from None


def create(settings: Settings, reset: bool = False) -> list[str]:
    """Create the schema and tables (dropping the tables first if ``reset``); returns the table names."""
    schema = settings.warehouse_schema
    conn = connect(settings)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for table, ddl in TABLES.items():
                if reset:
                    cur.execute(f"DROP TABLE IF EXISTS {schema}.{table}")
                cur.execute(ddl.format(schema=schema))
    finally:
        conn.close()
    return [f"{schema}.{table}" for table in TABLES]
