"""The warehouse side the course says must exist before a DAG runs: the schema and its tables, and the
analytics schema with the group of analysts that may read its summary tables.

Created through the Redshift endpoint of the settings (the emulator in the lab), with Redshift DDL.
"""

from __future__ import annotations

import psycopg2

from lab.config import Settings, redact
from lab.errors import UsageError
from lab_settings import ANALYTICS_GROUP, ANALYTICS_SCHEMA

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
    """Create the schemas, tables and group (dropping the tables and summaries first if ``reset``);
    returns what is now ready."""
    schema = settings.warehouse_schema
    conn = connect(settings)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for table, ddl in TABLES.items():
                if reset:
                    cur.execute(f"DROP TABLE IF EXISTS {schema}.{table}")
                cur.execute(ddl.format(schema=schema))
            create_analytics(cur, reset)
    finally:
        conn.close()
    return [f"{schema}.{table}" for table in TABLES] + [f"{ANALYTICS_SCHEMA} for group {ANALYTICS_GROUP}"]


def create_analytics(cur, reset: bool) -> None:
    """The schema the summary DAGs write to, and the group its tables are granted to.

    Redshift has no CREATE GROUP IF NOT EXISTS (r_CREATE_GROUP.html), so the catalog is asked first. A
    group belongs to the whole cluster, not to one database: it outlives a reset of the schemas.
    Members of the group also need USAGE on the schema to read the tables granted to them
    (r_GRANT.html).
    """
    if reset:
        cur.execute(f"DROP SCHEMA IF EXISTS {ANALYTICS_SCHEMA} CASCADE")
    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {ANALYTICS_SCHEMA}")
    cur.execute("SELECT 1 FROM pg_group WHERE groname = %s", (ANALYTICS_GROUP,))
    if cur.fetchone() is None:
        cur.execute(f"CREATE GROUP {ANALYTICS_GROUP}")
    cur.execute(f"GRANT USAGE ON SCHEMA {ANALYTICS_SCHEMA} TO GROUP {ANALYTICS_GROUP}")
