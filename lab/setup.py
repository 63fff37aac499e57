"""The lab's data in its first state: `lab init` creates what is missing, `lab reset` goes back to it.

Init keeps whatever exists, so running it twice (or on every `lab up`) is harmless. Reset throws away
what the learner's runs changed (Airflow runs, bucket objects, warehouse rows, MySQL rows) and seeds again.
"""

from __future__ import annotations

import argparse

import botocore.exceptions
import psycopg2
import pymysql
from psycopg2 import sql

import lab_settings
from lab.config import Settings, redact
from lab.errors import UsageError
from seed import commands as seed_commands
from seed import warehouse

CONNECT_TIMEOUT = 5
# The emulator's own system tables (emulators/redshift/catalog/system_tables.py): emptied by a reset.
EMULATOR_SYSTEM_TABLES = ("redshift_emulator.stl_load_errors", "redshift_emulator.sys_query_history")


def mysql_answers(settings: Settings) -> bool:
    try:
        mysql_server(settings).close()
    except pymysql.MySQLError:
        return False
    return True


def postgres_answers(settings: Settings) -> bool:
    try:
        postgres_server(settings).close()
    except psycopg2.Error:
        return False
    return True


def require_databases(settings: Settings) -> None:
    """The lab runs on the MySQL and PostgreSQL servers its settings name: say which one is missing."""
    missing = []
    if not mysql_answers(settings):
        missing.append(f"MySQL at {redact(str(settings.mysql))} (LAB_MYSQL_URL)")
    if not postgres_answers(settings):
        missing.append(f"PostgreSQL at {redact(str(settings.postgres))} (LAB_POSTGRES_URL)")
    if missing:
        raise UsageError(
            f"{' and '.join(missing)} does not answer: start it, or point the variable elsewhere"
        )


def mysql_server(settings: Settings) -> pymysql.Connection:
    url = settings.mysql
    return pymysql.connect(
        host=url.host, port=url.port, user=url.user, password=url.password, connect_timeout=CONNECT_TIMEOUT
    )


def postgres_server(settings: Settings, database: str = "postgres"):
    url = settings.postgres
    conn = psycopg2.connect(
        host=url.host,
        port=url.port,
        user=url.user,
        password=url.password,
        dbname=database,
        connect_timeout=CONNECT_TIMEOUT,
    )
    conn.autocommit = True
    return conn


# --- Init ---------------------------------------------------------------------------------------------


def ensure_warehouse_login(settings: Settings) -> None:
    """The PostgreSQL role and database behind the Redshift login of the settings (awsuser, dev)."""
    redshift = settings.redshift
    conn = postgres_server(settings)
    try:
        cur = conn.cursor()
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (redshift.user,))
        if not cur.fetchone():
            cur.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD %s").format(sql.Identifier(redshift.user)),
                (redshift.password,),
            )
            print(f"PostgreSQL role {redshift.user}: created")
        # A cluster's admin user creates users and groups (`lab init` creates the group analytics_users,
        # seed/warehouse.py) and databases (r_CREATE_DATABASE.html): CREATEROLE and CREATEDB are PostgreSQL's
        # rights to do so, short of a superuser's.
        cur.execute(sql.SQL("ALTER ROLE {} CREATEROLE CREATEDB").format(sql.Identifier(redshift.user)))
        cur.execute("SHOW server_version_num")
        if int(cur.fetchone()[0]) >= 150000:
            # Redshift does not enforce primary keys; the emulator stops PostgreSQL's checks in each session
            # with session_replication_role (emulators/redshift/wire/session.py), which needs this grant.
            cur.execute(
                sql.SQL("GRANT SET ON PARAMETER session_replication_role TO {}").format(
                    sql.Identifier(redshift.user)
                )
            )
        else:
            print(f"PostgreSQL at {settings.postgres.host} is older than 15: the warehouse enforces keys")
    finally:
        conn.close()
    if ensure_database(settings, redshift.database, owner=redshift.user):
        print(f"PostgreSQL database {redshift.database}: created")


def ensure_database(settings: Settings, name: str, owner: str | None = None) -> bool:
    """Create the database ``name`` on the lab's PostgreSQL if it is missing; True if this call created it.

    Shared by `lab init` (the warehouse) and lab.airflow (Airflow's metadata database).
    """
    conn = postgres_server(settings)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone():
                return False
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if owner:
                statement += sql.SQL(" OWNER {}").format(sql.Identifier(owner))
            cur.execute(statement)
            return True
    finally:
        conn.close()


def bucket_exists(settings: Settings, s3=None) -> bool:
    """True if the settings' bucket is there, False if S3 says it is not; any other S3 error raises."""
    s3 = s3 or settings.s3_client()
    try:
        s3.head_bucket(Bucket=settings.bucket)
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket"):
            raise
        return False
    return True


def ensure_bucket(settings: Settings) -> None:
    s3 = settings.s3_client()
    try:
        exists = bucket_exists(settings, s3)
    except botocore.exceptions.ClientError as error:
        raise UsageError(f"S3 bucket {settings.bucket!r} at {settings.s3_endpoint}: {error}") from None
    if not exists:
        s3.create_bucket(Bucket=settings.bucket)
        print(f"bucket s3://{settings.bucket}: created")


def source_seeded(settings: Settings) -> bool:
    with mysql_server(settings) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'nps'",
            (settings.mysql.database,),
        )
        return bool(cur.fetchone()[0])


def seed_source() -> None:
    """`lab seed source` with its defaults: the seeded rows every learner starts from."""
    seed_commands.run_source(
        argparse.Namespace(
            start=lab_settings.SEED_START_DATE,
            days=seed_commands.DEFAULT_DAYS,
            rows_per_day=seed_commands.DEFAULT_ROWS_PER_DAY,
            seed=seed_commands.DEFAULT_SEED,
        )
    )


def init_lab(settings: Settings) -> None:
    """Create whatever of the lab's first state is missing; keep what exists."""
    ensure_warehouse_login(settings)
    ensure_bucket(settings)
    for table in warehouse.create(settings):
        print(f"{table}: ready")
    if source_seeded(settings):
        print(f"{settings.mysql.database}.nps: exists, kept")
    else:
        seed_source()


# --- Reset --------------------------------------------------------------------------------------------


def empty_bucket(settings: Settings) -> int:
    s3 = settings.s3_client()
    deleted = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=settings.bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=settings.bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
    return deleted


def drop_warehouse(settings: Settings) -> None:
    """Drop the warehouse's schemas and empty the emulator's system tables, straight in PostgreSQL.

    The group analytics_users stays: a group is the whole server's, and other databases on it (another
    lab's, a test's) may hold grants to it, which would make dropping it fail. Its grants in this
    database go with the schemas; `lab init` then grants it the new analytics schema again.
    """
    conn = postgres_server(settings, settings.redshift.database)
    try:
        with conn.cursor() as cur:
            for schema in (settings.warehouse_schema, lab_settings.ANALYTICS_SCHEMA):
                cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
            for table in EMULATOR_SYSTEM_TABLES:
                cur.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
                if cur.fetchone()[0]:
                    cur.execute(f"TRUNCATE {table}")
    finally:
        conn.close()


def delete_airflow_runs(client) -> int:
    """Delete every DAG run through Airflow's REST API, and pause again each DAG made to start paused.

    The lessons' catch-up DAGs are created paused (is_paused_upon_creation): unpaused, the scheduler
    would make their runs again as soon as they are deleted, so they are paused first, as on a new lab.
    """
    deleted = 0
    for dag in client.request("GET", "/dags?limit=1000")["dags"]:
        dag_id = dag["dag_id"]
        details = client.request("GET", f"/dags/{dag_id}/details")
        if details["is_paused_upon_creation"] and not details["is_paused"]:
            client.set_paused(dag_id, True)
        if deleted_here := client.delete_runs(dag_id):
            client.reparse(dag_id)  # so that an unpaused catch-up starts its window again
        deleted += deleted_here
    return deleted


def reset_lab(settings: Settings, airflow_client) -> None:
    """Back to the first state. Airflow's runs go first, so that no new run starts from the old data.

    ``airflow_client`` is None when Airflow is not running: its runs stay (its metadata is only reachable
    through the API), and the message says so, with the command that starts it.
    """
    if airflow_client is None:
        print(
            f"Airflow does not answer at {settings.airflow_url}: its DAG runs are kept"
            f" ({settings.start_hint()}, then `lab reset` again to delete them)"
        )
    else:
        print(f"Airflow: {delete_airflow_runs(airflow_client)} DAG runs deleted")
    ensure_bucket(settings)
    print(f"bucket s3://{settings.bucket}: {empty_bucket(settings)} objects deleted")
    drop_warehouse(settings)
    seed_source()
    init_lab(settings)
