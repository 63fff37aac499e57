"""The settings the lab tunes Airflow with (lab.airflow.RESPONSIVE): Airflow knows and reads them, an
AIRFLOW__* variable of the environment still wins, and the scheduler's preload covers the DAGs' imports."""

from __future__ import annotations

import json
import os
import subprocess

from lab import airflow, processes
from lab.config import REPO_ROOT
from tests.conftest import RUN_ID, TEST_LOG_DIR

PRELOAD_PLUGIN = REPO_ROOT / "lab" / "airflow_plugins" / "preload_task_modules.py"


def airflow_python(env: dict[str, str], script: str) -> str:
    """What ``script`` prints, run by the venv's Python with Airflow configured by ``env``."""
    result = subprocess.run(
        [str(processes.VENV_BIN / "python"), "-c", script],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


def settings_read(env: dict[str, str]) -> dict[str, str]:
    """Each RESPONSIVE setting as Airflow's configuration reads it in that environment."""
    options = [name.lower().split("__", 2)[1:] for name in airflow.RESPONSIVE]
    script = (
        "import json; from airflow.configuration import conf;"
        f" print(json.dumps([conf.get(section, key) for section, key in {options!r}]))"
    )
    return dict(zip(airflow.RESPONSIVE, json.loads(airflow_python(env, script)), strict=True))


def test_every_tuned_setting_is_one_airflow_knows_and_changes():
    defaults = airflow.airflow_defaults(airflow.RESPONSIVE)  # KeyError for a misspelled section or key
    unchanged = [name for name, value in airflow.RESPONSIVE.items() if defaults[name] == value]
    assert not unchanged, f"set to Airflow's own default: {unchanged}"


def test_airflow_configured_by_the_lab_reads_them_and_the_environment_wins(airflow_lab, lab_env, monkeypatch):
    assert settings_read(airflow_lab.env) == airflow.RESPONSIVE

    monkeypatch.setenv("AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME", "1")
    again = airflow.configure(
        lab_env,
        home=TEST_LOG_DIR / "airflow",
        metadata_database=f"lab_test_{RUN_ID}_airflow",  # the airflow_lab fixture's
    )
    read = settings_read(again.env)
    assert read["AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME"] == "1"
    assert (
        read["AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"]
        == airflow.RESPONSIVE["AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"]
    )


def test_the_scheduler_preloads_every_airflow_module_the_dag_files_import(airflow_lab):
    """The LocalExecutor's task processes inherit the scheduler's modules: a DAG that imports an operator
    the preload lacks would make each of its tasks import it again."""
    dag_files = sorted(
        str(path) for path in (REPO_ROOT / "dags").glob("*.py") if path.name != "lab_settings.py"
    )
    script = f"""
import json, runpy, sys
from airflow.utils.file import iter_airflow_imports
sys.argv = ["airflow", "scheduler"]
runpy.run_path({str(PRELOAD_PLUGIN)!r})
wanted = {{name for path in {dag_files!r} for name in iter_airflow_imports(path)}}
print(json.dumps(sorted(name for name in wanted if name not in sys.modules)))
"""
    assert dag_files
    assert json.loads(airflow_python(airflow_lab.env, script)) == []


def test_other_airflow_processes_skip_the_preload(airflow_lab):
    script = f"""
import runpy, sys
sys.argv = ["airflow", "api-server"]
runpy.run_path({str(PRELOAD_PLUGIN)!r})
print("pandas" in sys.modules)
"""
    assert airflow_python(airflow_lab.env, script) == "False"


CONNECTION_HOST = """
from airflow.models import Connection
from airflow.utils.session import create_session
with create_session() as session:
    connection = session.query(Connection).filter_by(conn_id="mysql_conn_id").one()
    {change}
    print(connection.host)
"""


def test_migrate_writes_the_lab_connections_over_an_edit_made_in_the_ui(airflow_lab, settings):
    """The connections live in the metadata database (no AIRFLOW_CONN_* to hide them from the UI, or win
    over it); an edit there, as Admin → Connections makes it, lasts until migrate() writes the settings'."""
    assert [name for name in airflow_lab.env if name.startswith("AIRFLOW_CONN_")] == []
    edit = CONNECTION_HOST.format(change="connection.host = 'edited-in-the-ui'")
    assert airflow_python(airflow_lab.env, edit) == "edited-in-the-ui"
    assert airflow_python(airflow_lab.env, CONNECTION_HOST.format(change="")) == "edited-in-the-ui"
    airflow_lab.migrate()
    assert airflow_python(airflow_lab.env, CONNECTION_HOST.format(change="")) == settings.mysql.host
