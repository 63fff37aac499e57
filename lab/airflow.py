"""How the lab runs Airflow 3 natively: its home, environment, metadata database, processes and REST API.

    airflow = configure()                     # AIRFLOW_HOME under .lab/, env, metadata database `airflow`
    airflow.migrate()                         # airflow db migrate
    processes = airflow.start()               # api-server, scheduler, dag-processor; waits for health
    api = client(settings)                    # trigger / wait over the REST API of the running lab (its URL)
    with airflow.dag_tester() as tester:      # dag.test() in one long-lived process, no scheduler
        tester.run("MySQL_to_Redshift", date(2024, 1, 1))   # -> "success" or "failed"

The DAGs get their connections from Airflow's metadata database (migrate() writes the lab's there), and
every LAB_* variable, so lab_settings (next to the DAGs) sees the same names as the rest of the lab.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import quote

from lab import processes
from lab.config import REPO_ROOT, STATE_DIR, Settings, lab_environment, load_settings

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
FINISHED_STATES = ("success", "failed")
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


class AirflowError(RuntimeError):
    """An Airflow command or API call failed; the message carries its output, and ``status`` the HTTP
    status when the call was an API call."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


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
        """A process that runs ``dag.test()`` on request (see DagTester); use it as a context manager."""
        return DagTester(self)

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


class DagTester:
    """Runs DAGs with ``dag.test()`` (what `airflow dags test` does) in one long-lived process.

    Starting Airflow and parsing the DAG files takes most of a `airflow dags test` on a small machine; one
    process that has done it once answers each later run in a few seconds. Each run's tasks execute in
    that process, one after the other, against the metadata database; no scheduler is needed.
    """

    def __init__(self, airflow: Airflow) -> None:
        self._popen = subprocess.Popen(
            [str(processes.VENV_BIN / "python"), "-m", "lab.airflow"],
            env={**os.environ, **airflow.env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.log: list[str] = []  # everything the last run printed

    def _read(self) -> None:
        for line in self._popen.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def run(self, dag_id: str, logical_date: date, timeout: float = 300) -> str:
        """Run ``dag_id`` for ``logical_date``; returns the run's final state ("success" or "failed")."""
        self.log = []
        self._popen.stdin.write(f"{dag_id} {logical_date.isoformat()}\n")
        self._popen.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AirflowError(f"{dag_id} {logical_date}: no result after {timeout:.0f} s") from None
            if line is None:
                raise AirflowError(f"the DAG test process exited:\n{''.join(self.log[-60:])}")
            if line.startswith(_RESULT):
                return line[len(_RESULT) :].strip()
            self.log.append(line)

    def close(self) -> None:
        self._popen.stdin.close()
        try:
            self._popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait()

    def __enter__(self) -> DagTester:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# Marks the DagTester process's answers among the task logs it prints.
_RESULT = "LAB-DAG-TEST-RESULT "


def _serve_dag_tests() -> None:
    """The DagTester process: read "DAG_ID YYYY-MM-DD" lines, run each, print its final state."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    for request in sys.stdin:
        dag_id, day = request.split()
        run = bag.dags[dag_id].test(
            logical_date=datetime.combine(date.fromisoformat(day), clock(), tzinfo=UTC)
        )
        print(_RESULT + getattr(run.state, "value", run.state), flush=True)


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


def _utc_midnight(day: date) -> str:
    return datetime.combine(day, clock(), tzinfo=UTC).isoformat()


class Client:
    """A small client of Airflow's REST API (v2), logged in as one user of the simple auth manager."""

    def __init__(self, api_url: str, username: str, password: str) -> None:
        self.api_url = api_url
        self._login = {"username": username, "password": password}
        self._token: str | None = None

    def log_in(self) -> None:
        """Get the token every request carries (the first request does it, if not done before)."""
        self._token = self._call("POST", "/auth/token", self._login, token=None)["access_token"]

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        if self._token is None:
            self.log_in()
        return self._call(method, f"/api/v2{path}", body, token=self._token)

    def _call(self, method: str, path: str, body: dict | None, token: str | None) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api_url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise AirflowError(f"{method} {path}: HTTP {error.code} {detail}", error.code) from None
        return json.loads(body) if body else {}

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> dict:
        """The DAG's details once the dag-processor has parsed it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.request("GET", f"/dags/{dag_id}")
            except AirflowError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(1)

    def set_paused(self, dag_id: str, paused: bool) -> dict:
        return self.request("PATCH", f"/dags/{dag_id}", {"is_paused": paused})

    def trigger(self, dag_id: str, logical_date: date) -> str:
        """Start a run of ``dag_id`` for ``logical_date``; returns its run id."""
        body = {"logical_date": _utc_midnight(logical_date)}
        return self.request("POST", f"/dags/{dag_id}/dagRuns", body)["dag_run_id"]

    def runs(self, dag_id: str) -> list[dict]:
        """The DAG's runs, oldest logical date first."""
        listed: list[dict] = []
        while True:  # a page holds 100 runs at most ([api] maximum_page_limit)
            page = self.request(
                "GET", f"/dags/{dag_id}/dagRuns?order_by=logical_date&limit=100&offset={len(listed)}"
            )
            listed += page["dag_runs"]
            if not page["dag_runs"] or len(listed) >= page["total_entries"]:
                return listed

    def delete_runs(self, dag_id: str) -> int:
        """Delete every run of ``dag_id``; returns how many. A backfill not yet marked complete is
        cancelled first (Airflow allows one running backfill per DAG, and marks one complete a moment after
        its last run ends); a run that is queued or running is marked failed, since Airflow refuses to
        delete it (HTTP 409)."""
        for backfill in self.request("GET", f"/backfills?dag_id={quote(dag_id)}")["backfills"]:
            if backfill["completed_at"] is None:
                self.request("PUT", f"/backfills/{backfill['id']}/cancel")
        deleted = 0
        while runs := self.request("GET", f"/dags/{dag_id}/dagRuns?limit=100")["dag_runs"]:
            for run in runs:
                path = f"/dags/{dag_id}/dagRuns/{quote(run['dag_run_id'], safe='')}"
                if run["state"] not in FINISHED_STATES:
                    self.request("PATCH", path, {"state": "failed"})
                self.request("DELETE", path)
            deleted += len(runs)
        return deleted

    def reparse(self, dag_id: str) -> str | None:
        """Ask the dag-processor to parse the DAG's file again (the UI's "Reparse Dag" button); returns
        when the DAG was last parsed before. The scheduler works out a DAG's next run when its file is
        parsed, from the runs there are: after runs are deleted, a new parse starts it from scratch.

        A file asked for again before the dag-processor took the first request (two DAGs in one file)
        gets HTTP 409 (a unique constraint on the pending request): it is asked already, which is fine.
        """
        details = self.request("GET", f"/dags/{dag_id}/details")
        try:
            self.request("PUT", f"/parseDagFile/{details['file_token']}")
        except AirflowError as error:
            if error.status != 409:
                raise
        return details["last_parsed_time"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        """The run's task instances: state, and when each was scheduled, queued, started and ended."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        return self.request("GET", path)["task_instances"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300) -> dict:
        """The run once it has finished (state success or failed)."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            if run["state"] in FINISHED_STATES:
                return run
            if time.monotonic() > deadline:
                raise AirflowError(f"{dag_id} run {run_id} still {run['state']} after {timeout:.0f} s")
            time.sleep(1)


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


if __name__ == "__main__":
    _serve_dag_tests()
