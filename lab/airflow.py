"""How the lab runs Airflow 3 natively: its home, environment, metadata database and processes.

    airflow = configure()                     # AIRFLOW_HOME under .lab/, env, metadata database `airflow`
    airflow.migrate()                         # airflow db migrate
    processes = airflow.start()               # api-server, scheduler, dag-processor; waits for health
    api = client(settings)                    # lab.airflow_client.Client of the running lab (its URL)
    with airflow.dag_tester() as tester:      # lab.dag_tester: dag.test() in one process, no scheduler
        tester.run("MySQL_to_Redshift", date(2024, 1, 1))   # -> "success" or "failed"

The DAGs get their connections from Airflow's metadata database (migrate() writes the lab's there), and
every LAB_* variable, so lab_settings (next to the DAGs) sees the same names as the rest of the lab.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from lab import processes
from lab.airflow_client import AirflowError, Client
from lab.config import REPO_ROOT, STATE_DIR, Settings, lab_environment, load_settings
from lab.dag_tester import DagTester

DEFAULT_HOME = STATE_DIR / "airflow"
# A lab login, printed in the docs: this Airflow is reached on loopback only (compose publishes it there).
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin"
# What `lab up` runs. The triggerer serves deferrable operators only, which the lab's DAGs do not use;
# leaving it out saves a process on a 2-core machine (pass components=ALL_COMPONENTS to have it).
COMPONENTS = ("api-server", "scheduler", "dag-processor")
ALL_COMPONENTS = (*COMPONENTS, "triggerer")
# Health keys of /api/v2/monitor/health for each component that reports one.
_HEALTH_KEYS = {"scheduler": "scheduler", "dag-processor": "dag_processor", "triggerer": "triggerer"}
# What healthy() checks, besides the metadata database, when COMPONENTS run.
HEALTH_COMPONENTS = tuple(_HEALTH_KEYS[name] for name in COMPONENTS if name in _HEALTH_KEYS)
# Airflow's defaults suit a cluster of many DAGs; the lab runs a backfill's tasks one after another on a
# small machine, where every wait between two tasks adds up (bench/backfill_bench.py measures them). An
# AIRFLOW__* variable of the environment wins over these: `AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME=1
# lab up` runs Airflow's default. Compose runs `lab serve airflow`, so its Airflow gets them too.
RESPONSIVE = {
    # An idle scheduler loop sleeps this long before it looks for a task to queue or a finished one.
    "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
    # The lab's DAG files do not change unless edited, and an edited file is parsed again at once
    # (file_parsing_sort_mode modified_time): parsing them every 30 s only takes CPU from the tasks.
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "300",
    "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
    # A task's supervisor (in a LocalExecutor worker) waits this long at a time for its task process's
    # news, so may notice the end of a task of half a second only 5 s later: meanwhile its worker takes no
    # other task, and with two workers the next tasks wait in `queued`. It heartbeats this often, too.
    "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
    # The scheduler imports what the tasks need before it forks the task workers (the plugin says how).
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "lab" / "airflow_plugins"),
}


def airflow_defaults(names: Iterable[str]) -> dict[str, str]:
    """Airflow's own default of each AIRFLOW__SECTION__KEY variable in ``names``, from the configuration
    reference of the installed Airflow; KeyError for a setting it does not know."""
    import yaml

    reference = Path(find_spec("airflow").submodule_search_locations[0]) / "config_templates" / "config.yml"
    sections = yaml.safe_load(reference.read_text())
    defaults = {}
    for name in names:
        _, section, key = name.lower().split("__", 2)
        defaults[name] = str(sections[section]["options"][key]["default"])
    return defaults


@dataclass(frozen=True)
class Airflow:
    """One Airflow installation of the lab: its home folder, environment and API address."""

    home: Path
    env: dict[str, str]
    api_url: str
    # The lab's connections by id (lab.config.Settings.connection_fields), written by migrate().
    connections: Mapping[str, dict] = field(default_factory=dict)

    def run(self, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        """``airflow ARGS`` in this environment; AirflowError (with its output) if ``check`` and it fails."""
        result = subprocess.run(
            [str(processes.VENV_BIN / "airflow"), *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode:
            raise AirflowError(
                f"airflow {' '.join(args)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
            )
        return result

    def migrate(self) -> None:
        """`airflow db migrate`, then the lab's connections written into the metadata database, in one
        process. There Admin → Connections lists them (environment variables it would not) and every
        component and task reads them. Written again at each start: the lab's settings win over an edit
        made in the UI, which lasts until then (notebook 01 says so). The connections go in on standard
        input, never on a command line or in a file."""
        result = subprocess.run(
            [str(processes.VENV_BIN / "python"), "-c", _MIGRATE_AND_CONNECT],
            input=json.dumps(self.connections),
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode:
            output = result.stdout[-3000:] + result.stderr[-3000:]
            for secret in connection_secrets(self.connections):
                output = output.replace(secret, "***")
            raise AirflowError(f"airflow db migrate, then the lab's connections, failed:\n{output}")

    def dag_tester(self) -> DagTester:
        """A process that runs ``dag.test()`` on request (lab.dag_tester); use it as a context manager."""
        return DagTester(self.env)

    def start(
        self,
        host: str,
        port: int,
        components: Sequence[str] = COMPONENTS,
        timeout: float = 180,
        echo: bool = False,
    ) -> list[processes.ManagedProcess]:
        """Start ``components`` as background processes and wait until the API reports them healthy.

        ``host``, ``port``: where the api-server listens (0.0.0.0 in a container; compose publishes the port
        on 127.0.0.1). ``echo``: their output goes to this process's standard output too (a container's log).
        """
        # The scheduler (for LocalExecutor) and the triggerer each start a log server for other machines to
        # read task logs from, bound to every interface (ports 8793 and 8794) with no setting to narrow it.
        # Here the api-server runs beside them and reads the task log files directly: the lab starts neither.
        # (For a running task it still asks the log server too: "Could not read served logs" shows among the
        # log's sources, with a traceback in api-server.log; apache/airflow#55470.)
        commands = {
            "api-server": ["api-server", "--host", host, "--port", str(port), "--workers", "1"],
            "scheduler": ["scheduler", "--skip-serve-logs"],
            "dag-processor": ["dag-processor"],
            "triggerer": ["triggerer", "--skip-serve-logs"],
        }
        started = [
            processes.start(
                f"airflow {name}",
                [str(processes.VENV_BIN / "airflow"), *commands[name]],
                self.home / "logs" / f"{name}.log",
                env=self.env,
                # LocalExecutor copies every task's log lines to the scheduler's output without Airflow's
                # secret masking (the task log files are masked): COPY credentials would land here.
                secrets=connection_secrets(self.connections),
                echo=echo,
            )
            for name in components
        ]
        try:
            wanted = [_HEALTH_KEYS[name] for name in components if name in _HEALTH_KEYS]
            deadline = time.monotonic() + timeout
            for process in started:
                process.wait_until(
                    lambda: self.healthy(wanted), timeout=max(1.0, deadline - time.monotonic())
                )
        except processes.StartupError:
            processes.stop_all(started)
            raise
        return started

    def healthy(self, components: Sequence[str] = ()) -> bool:
        """True when the API answers and reports the metadata database and ``components`` healthy."""
        try:
            with urllib.request.urlopen(f"{self.api_url}/api/v2/monitor/health", timeout=2) as response:
                health = json.load(response)
        except (OSError, ValueError):
            return False
        return all(
            (health.get(key) or {}).get("status") == "healthy" for key in ("metadatabase", *components)
        )


# `airflow db migrate` (the same call its CLI makes), then each connection of standard input replaces the one
# of its id: one Python start instead of two CLI runs.
_MIGRATE_AND_CONNECT = """
import json, sys
from airflow.utils import db
db.upgradedb()
from airflow.models.connection import Connection
from airflow.utils.session import create_session
with create_session() as session:
    for conn_id, fields in json.load(sys.stdin).items():
        session.query(Connection).filter(Connection.conn_id == conn_id).delete()
        extra = fields.pop("extra", None)
        session.add(Connection(conn_id=conn_id, extra=None if extra is None else json.dumps(extra), **fields))
"""


def configure(
    lab_env: Mapping[str, str] | None = None,
    home: Path = DEFAULT_HOME,
    metadata_database: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Airflow:
    """Prepare ``home`` and the metadata database (created if missing) and return the Airflow to run.

    ``lab_env`` holds the LAB_* variables (default: this process's and .env's); the metadata database
    defaults to the settings' (LAB_AIRFLOW_DATABASE), the API to LAB_AIRFLOW_URL; ``overrides`` adds
    AIRFLOW__* settings. Calling it again for the same home gives the same Airflow (secrets are kept in
    ``home``).
    """
    # Every LAB_* variable, .env's included: the DAGs read the names they share (lab_settings) from them.
    lab_env = lab_environment(lab_env)
    settings = load_settings(lab_env)
    metadata = settings.postgres.with_database(metadata_database or settings.airflow_database)
    # Imported here: lab.setup brings the seeders (Faker, half a second), which the DagTester process
    # and the notebooks' `import lab.airflow` never need.
    from lab.setup import ensure_database

    ensure_database(settings, metadata.database)
    home.mkdir(parents=True, exist_ok=True)
    passwords = home / "simple_auth_manager_passwords.json"
    passwords.write_text(json.dumps({ADMIN_USER: ADMIN_PASSWORD}))
    api_url = settings.airflow_url
    env = {
        **{name: value for name, value in RESPONSIVE.items() if name not in os.environ},
        **lab_env,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Unpaused DAGs run triggered and backfill runs without a click. The scheduler makes scheduled runs
        # too, and no lab DAG lets it make one unasked (lab_settings.LAB_CALENDAR_END says why).
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        # LocalExecutor starts one worker (about 90 MB) per parallel task. The lab's DAGs run one task at a
        # time; two let two runs overlap, as a learner may try.
        "AIRFLOW__CORE__PARALLELISM": "2",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": str(metadata).replace(
            "postgresql://", "postgresql+psycopg2://", 1
        ),
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        # The UI's links and redirects lead the learner's browser; the workers reach the API as peers do.
        "AIRFLOW__API__BASE_URL": settings.airflow_public_url,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url}/execution/",
        # The scheduler, the workers and the API must sign and check task tokens with one key.
        "AIRFLOW__API_AUTH__JWT_SECRET": _secret(home / "jwt_secret"),
        "AIRFLOW__API__SECRET_KEY": _secret(home / "api_secret_key"),
    }
    env.update(overrides or {})
    return Airflow(home, env, api_url, settings.connection_fields())


def connection_secrets(connections: Mapping[str, dict]) -> list[str]:
    """The passwords and secret keys of ``connections`` (by id, as Settings.connection_fields gives them)."""
    return [conn["password"] for conn in connections.values() if conn.get("password")]


def client(settings: Settings) -> Client:
    """A REST client of the running lab's Airflow, at LAB_AIRFLOW_URL."""
    return Client(settings.airflow_url, ADMIN_USER, ADMIN_PASSWORD)


def _secret(path: Path) -> str:
    """A random secret kept in ``path``, so that restarts keep issued tokens valid."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def run_cli(args) -> int:
    """`lab airflow ARGS`: Airflow's own command line, set up as the lab's Airflow is (home, metadata
    database, connections). A bare `airflow` knows none of it: in the lab's container it would use the
    image's /opt/airflow and a SQLite database of its own."""
    instance = configure()
    command = [str(processes.VENV_BIN / "airflow"), *args.unknown_arguments]
    os.execve(command[0], command, {**os.environ, **instance.env})


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "airflow",
        help="Airflow's command line, on the lab's Airflow (e.g. `lab airflow dags list`)",
        # --help included: `lab airflow --help` is Airflow's help.
        add_help=False,
    )
    parser.set_defaults(handler=run_cli, passes_unknown_arguments=True)
