"""The lab's configuration: one place for every endpoint, login and name, each overridable by environment.

Tests, the `lab` CLI, notebooks and docker-compose read it; the DAGs read only the names
(``lab_settings``, next to the DAGs) and the Airflow connections this module describes, which lab.airflow
writes into Airflow's metadata database (Admin → Connections lists them). Database addresses are the
emulator's own type (emulators/redshift/database_url.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import lab_settings

# The lab gives its servers' addresses as the emulator does; the rest of the lab takes both from here.
from emulators.redshift.database_url import DatabaseUrl as DatabaseUrl
from emulators.redshift.database_url import redact as redact

if TYPE_CHECKING:
    import botocore.config

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("LAB_STATE_DIR", REPO_ROOT / ".lab"))
# This machine's own address. Only the native lab's defaults below and what is on this machine by definition
# (a sandbox the tests start, a free port) use it: a peer is always reached through a setting, because in a
# container 127.0.0.1 is the container itself (tests/test_peer_addresses.py keeps it so).
LOOPBACK = "127.0.0.1"
LOOPBACK_ADDRESSES = (LOOPBACK, "::1")  # IPv4 and IPv6: what only this machine reaches
RUNTIMES = ("native", "compose")


@dataclass(frozen=True)
class Settings:
    """Every endpoint and login of one lab profile."""

    profile: str
    mysql: DatabaseUrl  # the OLTP server; .database is the course's `prod`
    postgres: DatabaseUrl  # the PostgreSQL server behind the Redshift emulator (and Airflow's metadata)
    redshift: DatabaseUrl  # what clients connect to: the emulator (or a real cluster)
    s3_endpoint: str | None  # None means real AWS
    aws_access_key_id: str
    aws_secret_access_key: str
    aws_region: str
    aws_role_arn: str | None
    redshift_ssl: bool
    bucket: str = lab_settings.S3_BUCKET
    redshift_data_url: str | None = None  # the Redshift Data API (boto3's redshift-data); None: real AWS
    warehouse_schema: str = lab_settings.WAREHOUSE_SCHEMA
    # The lab's own servers (lab.stack): the port each listens on, the URL its peers reach it at, and the
    # URL a learner's browser opens (the same natively; compose publishes the container's port on 127.0.0.1).
    airflow_port: int = 8080  # Airflow's api-server: UI and REST API
    airflow_url: str = f"http://{LOOPBACK}:8080"
    airflow_public_url: str = f"http://{LOOPBACK}:8080"
    airflow_database: str = "airflow"  # Airflow's metadata database, on the PostgreSQL server above
    jupyter_port: int = 8888
    jupyter_url: str = f"http://{LOOPBACK}:8888"
    jupyter_public_url: str = f"http://{LOOPBACK}:8888"
    jupyter_token: str = "nps-lab"
    bind_host: str = LOOPBACK  # 0.0.0.0 inside a container, where compose publishes on 127.0.0.1
    runtime: str = "native"  # "compose" inside the containers of docker-compose.yml

    def connection_fields(self) -> dict[str, dict]:
        """The course's three Airflow connections by id, as Airflow's connection fields: what Admin →
        Connections shows, and what lab.airflow writes into Airflow's metadata database."""
        aws_extra: dict[str, object] = {"region_name": self.aws_region, "region": self.aws_region}
        if self.s3_endpoint:
            aws_extra["endpoint_url"] = self.s3_endpoint
        if self.aws_role_arn:
            # With role_arn, S3ToRedshiftOperator sends `aws_iam_role=...` in COPY instead of keys.
            aws_extra["role_arn"] = self.aws_role_arn
        if self.redshift_data_url:  # RedshiftDataOperator's boto3 client, to the emulator's Data API
            aws_extra["service_config"] = {"redshift-data": {"endpoint_url": self.redshift_data_url}}
        connections = {
            lab_settings.MYSQL_CONN_ID: {
                "conn_type": "mysql",
                "host": self.mysql.host,
                "port": self.mysql.port,
                "login": self.mysql.user,
                "password": self.mysql.password,
                "schema": self.mysql.database,
            },
            lab_settings.AWS_CONN_ID: {
                "conn_type": "aws",
                # Empty keys: the hook falls back to boto3's credential chain (environment, ~/.aws, role).
                **({"login": self.aws_access_key_id} if self.aws_access_key_id else {}),
                **({"password": self.aws_secret_access_key} if self.aws_secret_access_key else {}),
                "extra": aws_extra,
            },
            lab_settings.REDSHIFT_CONN_ID: {
                "conn_type": "redshift",
                "host": self.redshift.host,
                "port": self.redshift.port,
                "login": self.redshift.user,
                "password": self.redshift.password,
                "schema": self.redshift.database,
                "extra": {"ssl": self.redshift_ssl},
            },
        }
        return connections

    def airflow_connections(self) -> dict[str, str]:
        """The same connections as ``AIRFLOW_CONN_<ID>`` environment variables: for a process that runs
        an operator without Airflow's metadata database (the tests' operator sequences)."""
        return {
            f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(connection)
            for conn_id, connection in self.connection_fields().items()
        }

    def log_hint(self, service: str) -> str:
        """Where a learner reads the log of ``service`` (mysql, s3, airflow, ...), in this runtime's words."""
        if self.runtime == "compose":
            return f"`docker compose logs {service}` on your machine shows its log"
        return f"the logs of what `lab up` started are in {STATE_DIR / 'logs'}"

    def start_hint(self) -> str:
        """The command that starts the lab, in this runtime's words."""
        return "`docker compose up` on your machine" if self.runtime == "compose" else "`lab up`"

    def redshift_connection(self, **options):
        """A redshift_connector connection to this profile's Redshift endpoint (``options``: e.g. timeout)."""
        import redshift_connector  # here, not at the top: `lab status` and the emulator never need it

        url = self.redshift
        return redshift_connector.connect(
            host=url.host,
            port=url.port,
            user=url.user,
            password=url.password,
            database=url.database,
            ssl=self.redshift_ssl,
            **options,
        )

    def s3_client(self, config: botocore.config.Config | None = None):
        """A boto3 S3 client for this profile's endpoint and keys (empty keys: boto3's own chain)."""
        import boto3  # here, not at the top: the emulator and `lab status` read this module, boto3 is heavy

        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name=self.aws_region,
            aws_access_key_id=self.aws_access_key_id or None,
            aws_secret_access_key=self.aws_secret_access_key or None,
            config=config,
        )

    def aws_environment(self) -> dict[str, str]:
        """Standard AWS variables for boto3, the AWS CLI and the Redshift emulator."""
        env = {"AWS_DEFAULT_REGION": self.aws_region}
        if self.aws_access_key_id:
            env["AWS_ACCESS_KEY_ID"] = self.aws_access_key_id
            env["AWS_SECRET_ACCESS_KEY"] = self.aws_secret_access_key
        if self.s3_endpoint:
            env["AWS_ENDPOINT_URL_S3"] = self.s3_endpoint
        return env


# Per profile, the value of each LAB_* variable that is not set. `None` means "no default: must be set".
# `lab` is the local lab; `aws` points the very same DAGs at a real bucket and a real Redshift cluster.
_SHARED_DEFAULTS: dict[str, str | None] = {
    "LAB_MYSQL_URL": f"mysql://root@{LOOPBACK}:3306",
    "LAB_POSTGRES_URL": f"postgresql://postgres@{LOOPBACK}:5432",
    "LAB_AWS_REGION": "us-east-1",
    # The lab's own servers (lab.stack): Airflow's api-server (UI and REST API) and JupyterLab.
    "LAB_AIRFLOW_PORT": "8080",
    # Where the lab's code reaches Airflow's API and JupyterLab, and where a browser opens them. Empty means
    # this machine's loopback on the port above: the native lab. Compose sets them to the service names.
    "LAB_AIRFLOW_URL": "",
    "LAB_AIRFLOW_PUBLIC_URL": "",
    "LAB_AIRFLOW_DATABASE": "airflow",
    "LAB_JUPYTER_PORT": "8888",
    "LAB_JUPYTER_URL": "",
    "LAB_JUPYTER_PUBLIC_URL": "",
    "LAB_JUPYTER_TOKEN": "nps-lab",
    "LAB_BIND_HOST": LOOPBACK,
    # "compose" in the containers: `lab up`/`down` refuse there, messages name `docker compose` commands.
    "LAB_RUNTIME": "native",
}
PROFILE_DEFAULTS: dict[str, dict[str, str | None]] = {
    "lab": {
        **_SHARED_DEFAULTS,
        "LAB_REDSHIFT_URL": f"postgresql://awsuser:Lab-Redshift-1@{LOOPBACK}:5439/dev",
        "LAB_S3_ENDPOINT": f"http://{LOOPBACK}:4566",
        # The Redshift Data API the emulator serves beside its wire port (redshift-emulator --data-api-port).
        "LAB_REDSHIFT_DATA_URL": f"http://{LOOPBACK}:5440",
        "LAB_S3_BUCKET": lab_settings.S3_BUCKET,
        # Any keys work against the local S3 server; these are long enough for Airflow to mask them in
        # logs (it leaves secrets shorter than 5 characters, such as the usual "test", in plain sight).
        "LAB_AWS_ACCESS_KEY_ID": "lab-access-key-id",
        "LAB_AWS_SECRET_ACCESS_KEY": "lab-secret-access-key",
        "LAB_REDSHIFT_SSL": "false",
    },
    "aws": {
        **_SHARED_DEFAULTS,
        # e.g. postgresql://awsuser:PASSWORD@my-cluster.abc123.us-east-1.redshift.amazonaws.com:5439/dev
        "LAB_REDSHIFT_URL": None,
        # Real S3 needs no endpoint override; set one only for a VPC endpoint or another S3-compatible store.
        "LAB_S3_ENDPOINT": "",
        # Real AWS: boto3 finds the regional redshift-data endpoint itself.
        "LAB_REDSHIFT_DATA_URL": "",
        # Bucket names are global: the learner's own bucket, never a shared default.
        "LAB_S3_BUCKET": None,
        # Empty keys mean boto3's own chain (environment, ~/.aws, instance role) supplies credentials.
        "LAB_AWS_ACCESS_KEY_ID": "",
        "LAB_AWS_SECRET_ACCESS_KEY": "",
        "LAB_REDSHIFT_SSL": "true",
    },
}
ENV_FILE = REPO_ROOT / ".env"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a git-ignored .env file (blank lines and # comments skipped)."""
    if not path.is_file():
        return {}
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("\"'")
    return values


def lab_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The LAB_* variables of ``environ``, or of this process's environment over the ``.env`` file."""
    env = {**read_env_file(ENV_FILE), **os.environ} if environ is None else environ
    return {name: value for name, value in env.items() if name.startswith("LAB_")}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings of the profile named by LAB_PROFILE (default ``lab``).

    Values come from the environment, then the git-ignored ``.env`` file, then the profile's defaults.
    With an explicit ``environ`` (tests), ``.env`` is not read.
    """
    env = lab_environment(environ)
    profile = env.get("LAB_PROFILE", "lab")
    if profile not in PROFILE_DEFAULTS:
        raise ValueError(f"unknown LAB_PROFILE {profile!r}; known profiles: {', '.join(PROFILE_DEFAULTS)}")
    values = {**PROFILE_DEFAULTS[profile], **env}
    missing = sorted(name for name, value in values.items() if value is None)
    if missing:
        raise ValueError(
            f"profile {profile!r} needs {', '.join(missing)}: "
            f"set them in the environment or in {ENV_FILE.name}"
        )
    if values["LAB_RUNTIME"] not in RUNTIMES:
        raise ValueError(f"LAB_RUNTIME is {values['LAB_RUNTIME']!r}; known: {', '.join(RUNTIMES)}")
    source_database = values.get("LAB_SOURCE_DATABASE", lab_settings.SOURCE_DATABASE)
    airflow_url = values["LAB_AIRFLOW_URL"] or f"http://{LOOPBACK}:{values['LAB_AIRFLOW_PORT']}"
    jupyter_url = values["LAB_JUPYTER_URL"] or f"http://{LOOPBACK}:{values['LAB_JUPYTER_PORT']}"
    return Settings(
        profile=profile,
        mysql=DatabaseUrl.parse(values["LAB_MYSQL_URL"], 3306).with_database(source_database),
        postgres=DatabaseUrl.parse(values["LAB_POSTGRES_URL"], 5432),
        redshift=DatabaseUrl.parse(values["LAB_REDSHIFT_URL"], 5439),
        s3_endpoint=values["LAB_S3_ENDPOINT"] or None,
        aws_access_key_id=values["LAB_AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=values["LAB_AWS_SECRET_ACCESS_KEY"],
        aws_region=values["LAB_AWS_REGION"],
        aws_role_arn=values.get("LAB_AWS_ROLE_ARN") or None,
        redshift_ssl=values["LAB_REDSHIFT_SSL"].lower() in ("1", "true", "yes"),
        bucket=values["LAB_S3_BUCKET"],
        redshift_data_url=(values["LAB_REDSHIFT_DATA_URL"] or "").rstrip("/") or None,
        warehouse_schema=values.get("LAB_WAREHOUSE_SCHEMA", lab_settings.WAREHOUSE_SCHEMA),
        airflow_port=int(values["LAB_AIRFLOW_PORT"]),
        airflow_url=airflow_url.rstrip("/"),
        airflow_public_url=(values["LAB_AIRFLOW_PUBLIC_URL"] or airflow_url).rstrip("/"),
        airflow_database=values["LAB_AIRFLOW_DATABASE"],
        jupyter_port=int(values["LAB_JUPYTER_PORT"]),
        jupyter_url=jupyter_url.rstrip("/"),
        jupyter_public_url=(values["LAB_JUPYTER_PUBLIC_URL"] or jupyter_url).rstrip("/"),
        jupyter_token=values["LAB_JUPYTER_TOKEN"],
        bind_host=values["LAB_BIND_HOST"],
        runtime=values["LAB_RUNTIME"],
    )
