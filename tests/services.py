"""Find the real MySQL and PostgreSQL servers the tests use, or say what to start.

Order, per server: an explicit URL (LAB_MYSQL_URL / LAB_POSTGRES_URL); a Docker daemon that answers
(testcontainers, mysql:8.4 and postgres:16); the local default port (MariaDB on 3306 as root,
PostgreSQL on 5432 as postgres). Never a silent skip: if none answers, the run fails with a message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psycopg2
import pymysql

from lab.config import DatabaseUrl, redact

MYSQL_LOCAL = "mysql://root@127.0.0.1:3306"
POSTGRES_LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres"


class ServiceMissing(RuntimeError):
    pass


def mysql_connect(url: str, database: str | None = None, **kwargs) -> pymysql.Connection:
    parsed = DatabaseUrl.parse(url, 3306)
    return pymysql.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.user,
        password=parsed.password,
        database=database,
        connect_timeout=5,
        local_infile=True,
        **kwargs,
    )


@contextmanager
def throwaway_mysql_database(url: str, name: str) -> Iterator[str]:
    """Create the MySQL database ``name`` and drop it when the block ends."""
    with mysql_connect(url) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    try:
        yield name
    finally:
        with mysql_connect(url) as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def postgres_connect(url: str, database: str | None = None):
    parsed = DatabaseUrl.parse(url, 5432)
    return psycopg2.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.user,
        password=parsed.password,
        dbname=database or parsed.database or "postgres",
        connect_timeout=5,
    )


def _answers(connect, url: str) -> str | None:
    """None when the server answers at ``url``, else the error text."""
    try:
        connect(url).close()
    except Exception as error:
        return str(error).strip()
    return None


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@contextmanager
def database_servers() -> Iterator[tuple[str, str]]:
    """Yield (mysql_url, postgres_url) of servers that answer, starting containers if that is the way."""
    with ExitStack() as stack:
        mysql_url = os.environ.get("LAB_MYSQL_URL")
        postgres_url = os.environ.get("LAB_POSTGRES_URL")
        use_docker = (not mysql_url or not postgres_url) and _docker_answers()
        if not mysql_url and use_docker:
            from testcontainers.mysql import MySqlContainer

            container = stack.enter_context(MySqlContainer("mysql:8.4", root_password="lab"))
            port = container.get_exposed_port(3306)
            mysql_url = f"mysql://root:lab@{container.get_container_host_ip()}:{port}"
        if not postgres_url and use_docker:
            from testcontainers.postgres import PostgresContainer

            container = stack.enter_context(PostgresContainer("postgres:16", password="lab"))
            port = container.get_exposed_port(5432)
            postgres_url = f"postgresql://postgres:lab@{container.get_container_host_ip()}:{port}/postgres"
        mysql_url = mysql_url or MYSQL_LOCAL
        postgres_url = postgres_url or POSTGRES_LOCAL

        problems = []
        if error := _answers(mysql_connect, mysql_url):
            problems.append(
                f"MySQL/MariaDB does not answer at {redact(mysql_url)} ({error}).\n"
                "  Start it (here:"
                " `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`),"
                " or set LAB_MYSQL_URL,\n  or run a Docker daemon so the tests can start mysql:8.4."
            )
        if error := _answers(postgres_connect, postgres_url):
            problems.append(
                f"PostgreSQL does not answer at {redact(postgres_url)} ({error}).\n"
                "  Start it (here:"
                " `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`),"
                " or set LAB_POSTGRES_URL,\n  or run a Docker daemon so the tests can start postgres:16."
            )
        if problems:
            raise ServiceMissing("The lab's tests need real database servers.\n" + "\n".join(problems))
        yield mysql_url, postgres_url
