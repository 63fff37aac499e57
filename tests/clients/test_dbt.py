"""dbt-redshift against the emulator, as a learner goes on to use it: debug, seed, run (a table with sort and
dist, incremental models with a unique_key under both the delete+insert and merge strategies, run twice), test
and docs generate. The project is tests/clients/dbt_project."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.clients.clients import HERE, client_program, run_client
from tests.emulator.wire_helpers import psycopg_connect, unique

pytestmark = pytest.mark.slow  # dbt's whole project, run several times: half a minute

MODELS = ("daily_scores_delete_insert", "daily_scores_merge")


def test_dbt_seeds_runs_incremental_models_twice_tests_and_documents(redshift_emulator, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(HERE / "dbt_project", project)
    schema = unique("dbt")
    env = {
        "LAB_DBT_HOST": redshift_emulator.host,
        "LAB_DBT_PORT": str(redshift_emulator.port),
        "LAB_DBT_USER": redshift_emulator.user,
        "LAB_DBT_PASSWORD": redshift_emulator.password,
        "LAB_DBT_DATABASE": redshift_emulator.database,
        "LAB_DBT_SCHEMA": schema,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = client_program("dbt")

    def run(*command: str) -> str:
        done = run_client(
            [dbt, *command, "--project-dir", project, "--profiles-dir", project], cwd=project, env=env
        )
        assert done.returncode == 0, (
            f"dbt {' '.join(command)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
        )
        return done.stdout

    def daily(conn, model: str) -> list[tuple]:
        return conn.execute(
            f"SELECT day::date::text, responses FROM {schema}.{model} ORDER BY day"
        ).fetchall()

    try:
        run("debug")
        run("seed")
        run("run")
        with psycopg_connect(redshift_emulator) as conn:
            for model in MODELS:
                assert daily(conn, model) == [("2024-01-01", 2), ("2024-01-02", 2)], model
            # A new answer on the last day: the second run takes that day again; its unique_key replaces it.
            conn.execute(f"INSERT INTO {schema}.nps_responses VALUES (5, '2024-01-02 13:00:00', 8)")
        run("run")
        with psycopg_connect(redshift_emulator) as conn:
            for model in MODELS:
                assert daily(conn, model) == [("2024-01-01", 2), ("2024-01-02", 3)], model
            declared = conn.execute(
                "SELECT diststyle, sortkey1 FROM svv_table_info"
                " WHERE schema = %s AND \"table\" = 'nps_scores'",
                (schema,),
            ).fetchall()
        assert declared == [("EVEN", "id")], "the table model's dist and sort, as SVV_TABLE_INFO shows them"
        run("test")
        run("docs", "generate")
        catalog = json.loads((project / "target" / "catalog.json").read_text())
        documented = {node["metadata"]["name"]: list(node["columns"]) for node in catalog["nodes"].values()}
        assert documented["nps_scores"] == ["id", "score", "kind"]
        assert documented["daily_scores_merge"] == ["day", "responses", "average_score"]
    finally:
        with psycopg_connect(redshift_emulator) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
