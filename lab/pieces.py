"""The lab's pieces, its long-running servers: how `lab serve <piece>` runs each, and probes and describes it.

Each piece starts one way only: `lab serve <piece>` runs it in the foreground (it becomes the server's own
process). A container of docker-compose.yml runs exactly that command, and `lab up` (lab.stack) runs the
same command in the background, so the native tests prove what compose runs. Every piece is reached through
its setting, never at an assumed 127.0.0.1: inside a container, that is the container itself.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from lab import processes, setup
from lab.config import REPO_ROOT, Settings

JUPYTER_SETTINGS_DIR = REPO_ROOT / "lab" / "jupyter"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
PROBE_TIMEOUT = 2.0


@dataclass(frozen=True)
class Piece:
    """One long-running server of the lab and how to run, reach and probe it."""

    name: str
    port_variable: str  # the LAB_* variable that sets its port, for error messages
    port: Callable[[Settings], int]
    serve: Callable[[Settings, str], None]  # runs in the foreground on (settings, bind host); never returns
    healthy: Callable[[Settings], bool]  # it answers: what `lab up` waits for
    describe: Callable[[Settings], str]  # URL and login, as `lab up` prints them
    startup_timeout: float
    # What keeps an answering piece from serving the lab, for `lab status` (None: nothing).
    problem: Callable[[Settings], str | None] = lambda settings: None


# --- S3: moto_server (compose runs LocalStack instead) ---------------------------------------------------


def s3_port(settings: Settings) -> int:
    parts = urlsplit(settings.s3_endpoint or "")
    return parts.port or (443 if parts.scheme == "https" else 80)


def serve_s3(settings: Settings, host: str) -> None:
    _exec(processes.moto_command(host, s3_port(settings)))


def s3_healthy(settings: Settings) -> bool:
    return _http_status(settings.s3_endpoint or "") is not None


def s3_problem(settings: Settings) -> str | None:
    """The bucket must exist too: an S3 server that restarted with its data in memory has lost it."""
    import botocore.config
    import botocore.exceptions

    client = settings.s3_client(
        botocore.config.Config(
            connect_timeout=PROBE_TIMEOUT, read_timeout=PROBE_TIMEOUT, retries={"max_attempts": 1}
        )
    )
    try:
        if setup.bucket_exists(settings, client):
            return None
    except botocore.exceptions.ClientError as error:
        return f"S3 refuses to show bucket s3://{settings.bucket} ({error})"
    except botocore.exceptions.BotoCoreError as error:
        return f"S3 does not answer ({error})"
    return f"bucket s3://{settings.bucket} is missing (`lab init` creates it)"


def describe_s3(settings: Settings) -> str:
    # The local lab's fixed logins, printed for the learner (`lab up` and `lab status` refuse other profiles).
    return (
        f"{settings.s3_endpoint}  bucket s3://{settings.bucket}"
        f"  (access key {settings.aws_access_key_id} / secret {settings.aws_secret_access_key})"
    )


# --- Redshift: the emulator in front of PostgreSQL ------------------------------------------------------


def serve_redshift(settings: Settings, host: str) -> None:
    upstream = settings.postgres.with_database(settings.redshift.database)
    data_api = None
    if (
        settings.redshift_data_url
    ):  # the Data API beside the wire port; its statements log in as the course's user
        data_api = (_url_port(settings.redshift_data_url), str(settings.redshift))
    command = processes.redshift_emulator_command(
        host, settings.redshift.port, str(upstream), settings.s3_endpoint, data_api
    )
    _exec(command, settings.aws_environment())


def redshift_healthy(settings: Settings) -> bool:
    """The emulator speaks the PostgreSQL protocol: it answers an SSLRequest with one byte, 'N' or 'S'.

    No login is needed, so the probe works before `lab init` has created the Redshift user.
    """
    ssl_request = struct.pack("!ii", 8, 80877103)
    try:
        with socket.create_connection(
            (settings.redshift.host, settings.redshift.port), PROBE_TIMEOUT
        ) as sock:
            sock.settimeout(PROBE_TIMEOUT)
            sock.sendall(ssl_request)
            if sock.recv(1) not in (b"N", b"S"):
                return False
    except OSError:
        return False
    # The Data API answers GET /ping with 200 (emulators/redshift/data_api/server.py).
    return not settings.redshift_data_url or _http_status(settings.redshift_data_url + "/ping") == 200


def _url_port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def describe_redshift(settings: Settings) -> str:
    redshift = settings.redshift
    return (
        f"{redshift.host}:{redshift.port}/{redshift.database}"
        f"  (user {redshift.user} / password {redshift.password})"
        + (f"; Data API {settings.redshift_data_url}" if settings.redshift_data_url else "")
    )


# --- Airflow (lab.airflow): its components under one `lab serve airflow`, metadata in PostgreSQL ---------


def serve_airflow(settings: Settings, host: str) -> None:
    """Migrate the metadata database, start Airflow's components, and stay until one exits or SIGTERM."""
    from lab import airflow

    instance = airflow.configure(metadata_database=settings.airflow_database)
    instance.migrate()
    # The components' output also goes to this process's: in a container, that is `docker compose logs`.
    components = instance.start(host, settings.airflow_port, echo=True)
    # `lab down` and `docker stop` send SIGTERM: stop the components (each in its own session) before leaving.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        while all(component.popen.poll() is None for component in components):
            time.sleep(1)
        failed = next(component for component in components if component.popen.poll() is not None)
        print(
            f"{failed.name} exited with code {failed.popen.returncode}; log {failed.log_path}",
            file=sys.stderr,
        )
        sys.exit(1)
    finally:
        processes.stop_all(components)


def airflow_healthy(settings: Settings) -> bool:
    from lab import airflow

    return airflow.Airflow(airflow.DEFAULT_HOME, {}, settings.airflow_url).healthy(airflow.HEALTH_COMPONENTS)


def describe_airflow(settings: Settings) -> str:
    from lab import airflow

    return f"{settings.airflow_public_url}  (user {airflow.ADMIN_USER} / password {airflow.ADMIN_PASSWORD})"


# --- JupyterLab on the notebooks/ folder -----------------------------------------------------------------


def serve_jupyter(settings: Settings, host: str) -> None:
    command = [str(processes.VENV_BIN / "jupyter-lab"), "--no-browser", f"--ip={host}"]
    command += [
        f"--port={settings.jupyter_port}",
        "--port-retries=0",
        f"--ServerApp.root_dir={NOTEBOOKS_DIR}",
    ]
    command += [f"--IdentityProvider.token={settings.jupyter_token}"]
    # The lab's defaults over JupyterLab's (lab/jupyter/overrides.json): no pop-up asking the learner about
    # "official Jupyter news" on the first visit, no calls out to check for updates.
    command += [f"--LabApp.app_settings_dir={JUPYTER_SETTINGS_DIR}"]
    command += [f"--config={JUPYTER_SETTINGS_DIR / 'jupyter_server_config.py'}"]
    if os.geteuid() == 0:
        # Containers run as AIRFLOW_UID; only a native lab started by root gets here.
        command.append("--allow-root")
    # JupyterLab's terminals inherit this environment: with the lab's venv first on the PATH, `lab ...` and
    # `lab airflow ...` work there as the notebooks say; its bash puts it first again after ~/.bashrc.
    os.environ["PATH"] = os.pathsep.join([str(processes.VENV_BIN), os.environ.get("PATH", "")])
    os.environ["LAB_VENV_BIN"] = str(processes.VENV_BIN)
    _exec(command)


def jupyter_healthy(settings: Settings) -> bool:
    status = _http_status(
        settings.jupyter_url + "/api/status", {"Authorization": f"token {settings.jupyter_token}"}
    )
    return status == 200


def describe_jupyter(settings: Settings) -> str:
    return f"{settings.jupyter_public_url}/lab?token={settings.jupyter_token}"


PIECES: dict[str, Piece] = {
    piece.name: piece
    for piece in (
        Piece("s3", "LAB_S3_ENDPOINT", s3_port, serve_s3, s3_healthy, describe_s3, 30, s3_problem),
        Piece(
            "redshift",
            "LAB_REDSHIFT_URL",
            lambda settings: settings.redshift.port,
            serve_redshift,
            redshift_healthy,
            describe_redshift,
            30,
        ),
        Piece(
            "airflow",
            "LAB_AIRFLOW_PORT",
            lambda settings: settings.airflow_port,
            serve_airflow,
            airflow_healthy,
            describe_airflow,
            240,
        ),
        Piece(
            "jupyter",
            "LAB_JUPYTER_PORT",
            lambda settings: settings.jupyter_port,
            serve_jupyter,
            jupyter_healthy,
            describe_jupyter,
            60,
        ),
    )
}
INIT_NEEDS = ("s3", "redshift")


def _exec(command: list[str], env: dict[str, str] | None = None) -> None:
    """Become ``command``: the pid `lab up` recorded is then the server's own."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], command, {**os.environ, **(env or {})})


def _http_status(url: str, headers: dict[str, str] | None = None) -> int | None:
    """The HTTP status ``url`` answers with, or None if nothing answers."""
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers or {}), timeout=PROBE_TIMEOUT
        ) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return None
