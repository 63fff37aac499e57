"""`lab check`: before any DAG runs, does each connection answer and does what the DAGs need exist?

Read-only: it connects, looks, and says which piece is missing and how to fix it. It never changes data.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import botocore.config
import botocore.exceptions
import pymysql
import redshift_connector

from lab.config import Settings, load_settings
from lab.errors import UsageError

TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Finding:
    ok: bool
    piece: str
    text: str  # what was seen, and when not ok, how to fix it


def check_mysql(settings: Settings) -> Finding:
    mysql = settings.mysql
    where = f"MySQL at {mysql.host}:{mysql.port}"
    try:
        conn = pymysql.connect(
            host=mysql.host,
            port=mysql.port,
            user=mysql.user,
            password=mysql.password,
            connect_timeout=TIMEOUT_SECONDS,
        )
    except pymysql.MySQLError as error:
        return Finding(False, "mysql", f"{where} does not answer ({error.args[-1]}); check LAB_MYSQL_URL")
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'nps'",
            (mysql.database,),
        )
        if not cur.fetchone()[0]:
            return Finding(False, "mysql", f"{where} answers, but {mysql.database}.nps does not exist")
        cur.execute(f"SELECT COUNT(*) FROM `{mysql.database}`.nps")
        return Finding(True, "mysql", f"{where}: {mysql.database}.nps has {cur.fetchone()[0]} rows")


def check_s3(settings: Settings) -> Finding:
    where = f"S3 bucket {settings.bucket!r}" + (f" at {settings.s3_endpoint}" if settings.s3_endpoint else "")
    client = settings.s3_client(
        botocore.config.Config(
            connect_timeout=TIMEOUT_SECONDS, read_timeout=TIMEOUT_SECONDS, retries={"max_attempts": 1}
        )
    )
    try:
        client.head_bucket(Bucket=settings.bucket)
    except botocore.exceptions.ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("404", "NoSuchBucket"):
            return Finding(
                False, "s3", f"{where} does not exist; create it (aws s3 mb s3://{settings.bucket})"
            )
        if code in ("403", "AccessDenied"):
            return Finding(
                False,
                "s3",
                f"{where}: access denied; the IAM user needs s3:* on the bucket"
                " (see labs.md, Graduating to AWS)",
            )
        return Finding(False, "s3", f"{where}: {code or error}")
    except botocore.exceptions.NoCredentialsError:
        return Finding(
            False, "s3", f"{where}: no AWS credentials; set LAB_AWS_ACCESS_KEY_ID/SECRET_ACCESS_KEY"
        )
    except botocore.exceptions.BotoCoreError as error:
        return Finding(False, "s3", f"{where} does not answer ({error}); check LAB_S3_ENDPOINT / network")
    return Finding(True, "s3", f"{where} exists and is reachable")


def check_redshift(settings: Settings) -> Finding:
    redshift = settings.redshift
    where = f"Redshift at {redshift.host}:{redshift.port}/{redshift.database}"
    try:
        conn = settings.redshift_connection(timeout=TIMEOUT_SECONDS)
    except (redshift_connector.Error, OSError) as error:
        return Finding(False, "redshift", f"{where} does not answer ({error}); check LAB_REDSHIFT_URL")
    with conn:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'nps'",
            (settings.warehouse_schema,),
        )
        if not cursor.fetchone()[0]:
            return Finding(
                False,
                "redshift",
                f"{where} answers, but {settings.warehouse_schema}.nps does not exist;"
                " create it with the course's DDL (labs.md, Graduating to AWS)",
            )
    return Finding(True, "redshift", f"{where}: {settings.warehouse_schema}.nps exists")


CHECKS: tuple[Callable[[Settings], Finding], ...] = (check_mysql, check_s3, check_redshift)


def run_checks(settings: Settings) -> list[Finding]:
    return [check(settings) for check in CHECKS]


def check_command(args) -> int:
    if args.profile:
        os.environ["LAB_PROFILE"] = args.profile
    try:
        settings = load_settings()
    except ValueError as error:
        raise UsageError(str(error)) from None
    findings = run_checks(settings)
    for finding in findings:
        print(f"{'ok  ' if finding.ok else 'FAIL'} {finding.piece:<9} {finding.text}")
    return 0 if all(finding.ok for finding in findings) else 1


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check", help="check, without changing anything, that every connection answers"
    )
    parser.add_argument(
        "--profile", choices=("lab", "aws"), help="the profile to check (default: LAB_PROFILE)"
    )
    parser.set_defaults(handler=check_command)
