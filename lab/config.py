"""The lab's configuration: one place for every endpoint, login and name, each overridable by environment.

Tests, the `lab` CLI, notebooks and docker-compose read it; the DAGs read only the names
(``lab_settings``, next to the DAGs) and the Airflow connections this module renders as
``AIRFLOW_CONN_*`` variables.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import lab_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("LAB_STATE_DIR", REPO_ROOT / ".lab"))


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed ``scheme://user:password@host:port/database`` URL."""

    scheme: str
    user: str
    password: str
    host: str
    port: int
    database: str

    @classmethod
    def parse(cls, url: str, default_port: int) -> DatabaseUrl:
        parts = urlsplit(url)
        if not parts.hostname:
            raise ValueError(f"not a database URL (no host): {redact(url)}")
        return cls(
            scheme=parts.scheme,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname,
            port=parts.port or default_port,
            database=parts.path.lstrip("/"),
        )

    def with_database(self, database: str) -> DatabaseUrl:
        return DatabaseUrl(self.scheme, self.user, self.password, self.host, self.port, database)

    def __str__(self) -> str:
        login = quote(self.user, safe="")
        if self.password:
            login += ":" + quote(self.password, safe="")
        return f"{self.scheme}://{login}@{self.host}:{self.port}/{self.database}"


def redact(url: str) -> str:
    """The URL with its password replaced, fit for a log line or an error message."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


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
    warehouse_schema: str = lab_settings.WAREHOUSE_SCHEMA

    def airflow_connections(self) -> dict[str, str]:
        """The course's three Airflow connections as ``AIRFLOW_CONN_<ID>`` environment variables."""
        aws_extra: dict[str, object] = {"region_name": self.aws_region, "region": self.aws_region}
        if self.s3_endpoint:
            aws_extra["endpoint_url"] = self.s3_endpoint
        if self.aws_role_arn:
            # With role_arn, S3ToRedshiftOperator sends `aws_iam_role=...` in COPY instead of keys.
            aws_extra["role_arn"] = self.aws_role_arn
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
                "login": self.aws_access_key_id,
                "password": self.aws_secret_access_key,
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
        return {
            f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(connection)
            for conn_id, connection in connections.items()
        }

    def aws_environment(self) -> dict[str, str]:
        """Standard AWS variables for boto3, the AWS CLI and the Redshift emulator."""
        env = {
            "AWS_ACCESS_KEY_ID": self.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.aws_secret_access_key,
            "AWS_DEFAULT_REGION": self.aws_region,
        }
        if self.s3_endpoint:
            env["AWS_ENDPOINT_URL_S3"] = self.s3_endpoint
        return env


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings of the profile named by LAB_PROFILE (default ``lab``)."""
    env = os.environ if environ is None else environ
    profile = env.get("LAB_PROFILE", "lab")
    if profile != "lab":
        raise ValueError(f"unknown LAB_PROFILE {profile!r}; known profiles: lab")
    source_database = env.get("LAB_SOURCE_DATABASE", lab_settings.SOURCE_DATABASE)
    return Settings(
        profile=profile,
        mysql=DatabaseUrl.parse(env.get("LAB_MYSQL_URL", "mysql://root@127.0.0.1:3306"), 3306).with_database(
            source_database
        ),
        postgres=DatabaseUrl.parse(env.get("LAB_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"), 5432),
        redshift=DatabaseUrl.parse(
            env.get("LAB_REDSHIFT_URL", "postgresql://awsuser:Lab-Redshift-1@127.0.0.1:5439/dev"), 5439
        ),
        s3_endpoint=env.get("LAB_S3_ENDPOINT", "http://127.0.0.1:4566"),
        aws_access_key_id=env.get("LAB_AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=env.get("LAB_AWS_SECRET_ACCESS_KEY", "test"),
        aws_region=env.get("LAB_AWS_REGION", "us-east-1"),
        aws_role_arn=env.get("LAB_AWS_ROLE_ARN") or None,
        redshift_ssl=False,
        bucket=env.get("LAB_S3_BUCKET", lab_settings.S3_BUCKET),
        warehouse_schema=env.get("LAB_WAREHOUSE_SCHEMA", lab_settings.WAREHOUSE_SCHEMA),
    )
