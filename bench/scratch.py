"""A throwaway lab for one bench run: a PostgreSQL database, a log folder and an S3 server (moto) of its own.

Every bench starts the same way, so the set-up lives here once. A database and an S3 server that nothing
else uses keep a bench's figures and leftovers its own; both go away when the run ends, however it ends.
The log folder stays, for a look after a failed run. LAB_POSTGRES_URL chooses the PostgreSQL server
(default: local, postgres).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import psycopg2

from lab import processes
from lab.config import DatabaseUrl

# The keys moto accepts, for the bench's S3 client and the emulators it starts (as their environment).
AWS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


def connect(url: DatabaseUrl):
    conn = psycopg2.connect(
        host=url.host, port=url.port, user=url.user, password=url.password, dbname=url.database
    )
    conn.autocommit = True
    return conn


@dataclass(frozen=True)
class ScratchLab:
    upstream: DatabaseUrl  # the throwaway database
    logs: Path  # for the logs of moto and of the processes the bench starts
    endpoint: str  # moto's URL
    s3: Any  # a boto3 S3 client of moto, with the bench's keys


@contextmanager
def scratch_lab(name: str) -> Iterator[ScratchLab]:
    """A database ``<name>_<8 hex digits>`` and a moto server, dropped and stopped on the way out."""
    server = DatabaseUrl.parse(
        os.environ.get("LAB_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"), 5432
    )
    database = f"{name}_{uuid.uuid4().hex[:8]}"
    admin = connect(server.with_database("postgres"))
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{database}"')
    moto = None
    try:
        logs = Path(tempfile.mkdtemp(prefix=f"{name.replace('_', '-')}-"))
        s3_port = processes.free_port()
        moto = processes.start_moto(s3_port, logs / "moto.log")
        endpoint = f"http://127.0.0.1:{s3_port}"
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=AWS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS["AWS_SECRET_ACCESS_KEY"],
            region_name=AWS["AWS_DEFAULT_REGION"],
        )
        yield ScratchLab(server.with_database(database), logs, endpoint, s3)
    finally:
        if moto is not None:
            moto.stop()
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


@contextmanager
def emulator_on(lab: ScratchLab) -> Iterator[tuple[processes.ManagedProcess, int]]:
    """The Redshift emulator on a free port in front of ``lab``'s database, stopped on the way out."""
    port = processes.free_port()
    emulator = processes.start_redshift_emulator(
        port, str(lab.upstream), lab.endpoint, lab.logs / "emulator.log", env=AWS
    )
    try:
        yield emulator, port
    finally:
        emulator.stop()
