"""A lab beside the learner's: its own state folder, free ports, and throwaway databases, login and bucket.

Tests and benchmarks run `lab up` with this environment and remove the lab afterwards, so they never touch
a learner's lab nor each other's. Only the MySQL and PostgreSQL servers are shared, not what is on them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from psycopg2 import sql

from lab import processes, setup
from lab.config import LOOPBACK, load_settings

# What the sandbox's throwaway Redshift login uses as its password.
PASSWORD = "Sandbox-Redshift-1"


def environment(name: str, state_dir: Path, mysql_url: str, postgres_url: str) -> dict[str, str]:
    """The environment of a lab whose every database, login and bucket name starts with ``name``."""
    return {
        "LAB_STATE_DIR": str(state_dir),
        "LAB_MYSQL_URL": mysql_url,
        "LAB_SOURCE_DATABASE": f"{name}_prod",
        "LAB_POSTGRES_URL": postgres_url,
        "LAB_REDSHIFT_URL": f"postgresql://{name}_awsuser:{PASSWORD}@{LOOPBACK}:{processes.free_port()}/{name}_dev",
        "LAB_AIRFLOW_DATABASE": f"{name}_airflow",
        "LAB_S3_ENDPOINT": f"http://{LOOPBACK}:{processes.free_port()}",
        "LAB_REDSHIFT_DATA_URL": f"http://{LOOPBACK}:{processes.free_port()}",
        "LAB_S3_BUCKET": name.replace("_", "-"),
        "LAB_AIRFLOW_PORT": str(processes.free_port()),
        "LAB_JUPYTER_PORT": str(processes.free_port()),
        "LAB_BIND_HOST": LOOPBACK,
    }


def lab(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`lab ARGS` in a child process with ``env``, as a learner types it."""
    return subprocess.run(
        [str(processes.VENV_BIN / "lab"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def remove(env: dict[str, str]) -> None:
    """Stop the sandbox's processes and drop its databases and login (its bucket lived in its own S3)."""
    lab(env, "down")
    settings = load_settings(env)
    with setup.mysql_server(settings) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{settings.mysql.database}`")
    conn = setup.postgres_server(settings)
    try:
        with conn.cursor() as cur:
            for database in (settings.redshift.database, settings.airflow_database):
                cur.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
                )
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (settings.redshift.user,))
            if cur.fetchone():
                role = sql.Identifier(settings.redshift.user)
                # Also revokes what `lab init` granted it on shared objects (SET on session_replication_role).
                cur.execute(sql.SQL("DROP OWNED BY {}").format(role))
                cur.execute(sql.SQL("DROP ROLE {}").format(role))
    finally:
        conn.close()
