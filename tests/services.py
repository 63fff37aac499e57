"""Find the real MySQL and PostgreSQL servers the tests use, or say what to start.

Order, per server: an explicit URL (LAB_MYSQL_URL / LAB_POSTGRES_URL); a Docker daemon that answers
(testcontainers, mysql:8.4 and postgres:16); the local default port (MariaDB on 3306 as root,
PostgreSQL on 5432 as postgres). Never a silent skip: if none answers, the run fails with a message.

A test that needs PostgreSQL configured its own way (password authentication, say) starts a throwaway
cluster of its own from the installed server binaries: throwaway_postgres_cluster().
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pymysql

from lab import processes
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


# --- A throwaway PostgreSQL cluster -------------------------------------------------------------------

POSTGRES_SERVER_PACKAGE = "the PostgreSQL server (Debian/Ubuntu: `apt-get install postgresql`)"
CLUSTER_SUPERUSER = "postgres"


@dataclass(frozen=True)
class PostgresCluster:
    """A PostgreSQL server of a test's own on 127.0.0.1:``port``. Its superuser (postgres) logs in
    without a password over the unix socket in ``socket_dir``; TCP logins follow the cluster's rules."""

    port: int
    socket_dir: Path
    log_path: Path

    def connect(self, database: str = "postgres"):
        """An autocommit superuser connection over the unix socket."""
        conn = psycopg2.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=CLUSTER_SUPERUSER,
            dbname=database,
            connect_timeout=5,
        )
        conn.autocommit = True
        return conn

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def postgres_server_binaries() -> Path:
    """Where initdb and pg_ctl are: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin."""
    candidates = []
    if pg_config := shutil.which("pg_config"):
        answer = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if answer.returncode == 0:
            candidates.append(Path(answer.stdout.strip()))
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda folder: [int(part) for part in folder.parent.name.split(".") if part.isdigit()],
        reverse=True,
    )
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    searched = ", ".join(str(folder) for folder in candidates) or "no pg_config, no /usr/lib/postgresql/*/bin"
    raise ServiceMissing(f"initdb and pg_ctl not found ({searched}): install {POSTGRES_SERVER_PACKAGE}")


def _as_server_user() -> list[str]:
    """The command prefix that runs the server's tools as a user they accept: initdb and postgres refuse
    to run as root, so root runs them as the OS user postgres."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None or CLUSTER_SUPERUSER not in {user.pw_name for user in pwd.getpwall()}:
        raise ServiceMissing(
            "a throwaway PostgreSQL cluster, started as root, runs as the OS user postgres through runuser:"
            f" install {POSTGRES_SERVER_PACKAGE} (it creates that user) and util-linux (runuser)"
        )
    return [runuser, "-u", CLUSTER_SUPERUSER, "--"]


@contextmanager
def throwaway_postgres_cluster(host_rules: Sequence[str]) -> Iterator[PostgresCluster]:
    """Start a PostgreSQL cluster in a temporary folder, listening on a free port of 127.0.0.1; stop and
    delete it when the block ends.

    ``host_rules``: the pg_hba.conf lines for TCP logins (e.g. "host all alice 127.0.0.1/32 scram-sha-256");
    the unix socket lets the superuser in without a password. Connections are logged (log_connections),
    so a test can read which authentication method the server used.
    """
    binaries = postgres_server_binaries()
    as_server_user = _as_server_user()
    root = Path(tempfile.mkdtemp(prefix="lab-test-postgres-"))
    data = root / "data"
    cluster = PostgresCluster(processes.free_port(), root, root / "postgres.log")

    def run(*command: str) -> subprocess.CompletedProcess:
        # cwd: the server's user may not be allowed into the test's working directory.
        return subprocess.run(
            [*as_server_user, *command], cwd=root, capture_output=True, text=True, timeout=120
        )

    try:
        if as_server_user:
            shutil.chown(root, CLUSTER_SUPERUSER)
        created = run(
            str(binaries / "initdb"), "-D", str(data), "-U", CLUSTER_SUPERUSER, "-E", "UTF8", "--no-sync"
        )
        if created.returncode:
            raise RuntimeError(f"initdb failed in {root}:\n{created.stdout}{created.stderr}")
        (data / "pg_hba.conf").write_text(
            "\n".join([f"local all {CLUSTER_SUPERUSER} trust", *host_rules]) + "\n"
        )
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {cluster.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{root}'\n"
                "log_connections = on\n"
                # A throwaway cluster: no need to survive a crash.
                "fsync = off\n"
            )
        started = run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(cluster.log_path), "-w", "start")
        if started.returncode:
            raise RuntimeError(
                f"pg_ctl start failed for {data}:\n{started.stdout}{started.stderr}\n"
                + (cluster.log() if cluster.log_path.exists() else "(no server log)")
            )
        yield cluster
    finally:
        if (data / "postmaster.pid").exists():
            run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)
