"""`lab seed ...` as a learner runs it: real processes, real MySQL and, for the warehouse, the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import mysql_connect, postgres_connect

LAB = str(Path(sys.executable).parent / "lab")


def lab(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LAB, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def env(mysql_url, seed_url) -> dict[str, str]:
    return {"LAB_MYSQL_URL": mysql_url, "LAB_SOURCE_DATABASE": seed_url.database}


def test_source_then_tick_fill_both_tables(env, mysql_url, seed_url):
    result = lab(env, "seed", "source", "--start", "2024-03-01", "--days", "3", "--rows-per-day", "40")
    assert result.returncode == 0, result.stderr
    assert f"{seed_url.database}.nps: " in result.stdout
    result = lab(env, "seed", "tick", "--date", "2024-03-04", "--rows-per-day", "40")
    assert result.returncode == 0, result.stderr
    with mysql_connect(mysql_url, seed_url.database) as conn, conn.cursor() as cur:
        cur.execute("SELECT DATE(created_at), count(*) FROM nps GROUP BY 1 ORDER BY 1")
        days = [str(day) for day, _ in cur.fetchall()]
        cur.execute(
            "SELECT count(*) FROM nps_changes"
            " WHERE DATE(modified) = '2024-03-04' AND created_at < '2024-03-04'"
        )
        changed = cur.fetchone()[0]
    assert days == ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]
    assert changed > 0

    again = lab(env, "seed", "tick", "--date", "2024-03-04")
    assert again.returncode == 2
    assert (
        again.stderr
        == f"lab seed: {seed_url.database}.nps already has rows created on 2024-03-04: pick a new day\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["source", "--days", "-3"], "lab seed: --days must be 0 or more, not -3\n"),
        (
            ["source", "--start", "01/03/2024"],
            "lab seed: --start '01/03/2024' is not a date in YYYY-MM-DD form\n",
        ),
        (
            ["tick", "--date", "2024-13-01"],
            "lab seed: --date '2024-13-01' is not a date in YYYY-MM-DD form\n",
        ),
        (["source", "--rows-per-day", "many"], "lab seed: --rows-per-day 'many' is not a whole number\n"),
    ],
)
def test_bad_arguments_give_one_clear_line(env, args, message):
    result = lab(env, "seed", *args)
    assert (result.returncode, result.stderr, result.stdout) == (2, message, "")


def test_unreachable_mysql_gives_one_clear_line(env):
    result = lab({**env, "LAB_MYSQL_URL": "mysql://root@127.0.0.1:1"}, "seed", "source", "--days", "1")
    assert result.returncode == 2
    assert result.stderr.startswith("lab seed: cannot reach MySQL at mysql://root@127.0.0.1:1/")
    assert result.stderr.count("\n") == 1


def test_warehouse_creates_the_course_tables_through_the_redshift_endpoint(lab_env, warehouse_url):
    result = lab(lab_env, "seed", "warehouse", "--reset")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "raw_data.nps: ready",
        "raw_data.nps_changes: ready",
        "analytics for group analytics_users: ready",
    ]
    with postgres_connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT has_schema_privilege('analytics_users', 'analytics', 'USAGE')")
        assert cur.fetchone() == (True,), "the analysts' group may use the analytics schema"
        cur.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
            " WHERE table_schema = 'raw_data' ORDER BY table_name, ordinal_position"
        )
        columns = cur.fetchall()
        cur.execute(
            "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc"
            " JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)"
            " WHERE tc.table_schema = 'raw_data' AND tc.constraint_type = 'PRIMARY KEY' ORDER BY 1"
        )
        keys = cur.fetchall()
    assert columns == [
        ("nps", "id", "integer", "NO"),
        ("nps", "created_at", "timestamp without time zone", "YES"),
        ("nps", "score", "smallint", "YES"),
        ("nps_changes", "id", "integer", "NO"),
        ("nps_changes", "created_at", "timestamp without time zone", "YES"),
        ("nps_changes", "score", "smallint", "YES"),
        ("nps_changes", "modified", "timestamp without time zone", "YES"),
        ("nps_changes", "deleted", "boolean", "YES"),
    ]
    assert keys == [("nps", "id"), ("nps_changes", "id")]


def test_unreachable_redshift_gives_one_clear_line(lab_env):
    closed = {**lab_env, "LAB_REDSHIFT_URL": "postgresql://awsuser:Secret-1@127.0.0.1:1/dev"}
    result = lab(closed, "seed", "warehouse")
    assert result.returncode == 2
    assert result.stderr.startswith(
        "lab seed: cannot reach Redshift at postgresql://awsuser:***@127.0.0.1:1/dev: "
    )
    assert result.stderr.count("\n") == 1
