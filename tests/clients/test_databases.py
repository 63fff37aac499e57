"""The lab's admin user and databases as on Redshift: `awsuser` may CREATE DATABASE (r_CREATE_DATABASE.html: a
superuser or a user with CREATEDB, which the cluster's admin user is), and a database the emulator has served
can be dropped once its sessions have ended: the emulator keeps no connection of its own open to it."""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg import sql

from lab import processes, sandbox, setup
from lab.config import DatabaseUrl, load_settings
from tests.conftest import TEST_LOG_DIR
from tests.emulator.wire_helpers import unique

DROP_WITHIN = 5.0  # seconds after the last session ends


@pytest.fixture
def admin_login(mysql_url, postgres_url, tmp_path):
    """A lab's Redshift login, made as `lab init` makes it, and an emulator in front of its warehouse."""
    env = sandbox.environment(unique("h_clients"), tmp_path, mysql_url, postgres_url)
    settings = load_settings(env)
    setup.ensure_warehouse_login(settings)
    upstream = DatabaseUrl.parse(postgres_url, 5432).with_database(settings.redshift.database)
    emulator = processes.start_redshift_emulator(
        settings.redshift.port, str(upstream), None, TEST_LOG_DIR / f"{settings.redshift.user}-emulator.log"
    )
    try:
        yield settings.redshift
    finally:
        emulator.stop()
        sandbox.remove(env)


def connect(login: DatabaseUrl, database: str) -> psycopg.Connection:
    return psycopg.connect(
        host=login.host, port=login.port, user=login.user, password=login.password, dbname=database,
        autocommit=True,
    )  # fmt: skip


def test_the_admin_user_creates_a_database_and_drops_it_after_using_it(admin_login, postgres_url):
    name = unique("h_clients_db")
    with connect(admin_login, admin_login.database) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with connect(admin_login, name) as conn:
            conn.execute("CREATE TABLE t (id int) DISTSTYLE ALL")
            assert conn.execute("SELECT count(*) FROM pg_table_def WHERE tablename = 't'").fetchone() == (1,)
        deadline, error = time.monotonic() + DROP_WITHIN, None
        with connect(admin_login, admin_login.database) as conn:
            while time.monotonic() < deadline:
                try:
                    conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
                    break
                except psycopg.errors.ObjectInUse as in_use:
                    error = in_use
                    time.sleep(0.2)
            else:
                pytest.fail(
                    f"DROP DATABASE still refused {DROP_WITHIN} s after the last session ended: {error}"
                )
    finally:
        with psycopg.connect(
            postgres_url, autocommit=True
        ) as conn:  # straight to PostgreSQL, whatever happened
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
