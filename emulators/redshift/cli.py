"""`redshift-emulator`: the Redshift emulator's command line.

Every flag falls back to an environment variable, so docker-compose and `lab up` configure it the
same way; the S3 endpoint also honours the standard AWS variables.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from emulators.redshift.data_api import server as data_api_server
from emulators.redshift.database_url import DatabaseUrl, redact
from emulators.redshift.wire import limits
from emulators.redshift.wire.server import ServerConfig, serve


def parse_args(
    argv: list[str] | None = None, environ: dict[str, str] | None = None
) -> tuple[ServerConfig, str]:
    """(the server's settings, the log level) from flags, else the environment, else defaults."""
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="redshift-emulator",
        description="Redshift's dialect on the PostgreSQL wire protocol, in front of a real PostgreSQL.",
    )
    parser.add_argument(
        "--host", default=env.get("REDSHIFT_EMULATOR_HOST", "127.0.0.1"), help="address to listen on"
    )
    parser.add_argument(
        "--port", type=int, default=int(env.get("REDSHIFT_EMULATOR_PORT", "5439")), help="port to listen on"
    )
    parser.add_argument(
        "--upstream",
        default=env.get("REDSHIFT_EMULATOR_UPSTREAM", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL URL: where to connect, and the login of the emulator's own bookkeeping connection",
    )
    parser.add_argument(
        "--s3-endpoint-url",
        default=env.get("REDSHIFT_EMULATOR_S3_ENDPOINT_URL")
        or env.get("AWS_ENDPOINT_URL_S3")
        or env.get("AWS_ENDPOINT_URL"),
        help="S3 endpoint for COPY and UNLOAD (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, real AWS)",
    )
    parser.add_argument(
        "--authentication-timeout",
        type=float,
        default=float(env.get("REDSHIFT_EMULATOR_AUTHENTICATION_TIMEOUT", limits.AUTHENTICATION_TIMEOUT)),
        help="seconds a client has to log in before it is disconnected (PostgreSQL's authentication_timeout)",
    )
    parser.add_argument(
        "--data-api-port",
        type=int,
        default=int(env.get("REDSHIFT_EMULATOR_DATA_API_PORT", "0")),
        help="serve the Redshift Data API (boto3's redshift-data) over HTTP on this port too; 0: off",
    )
    parser.add_argument(
        "--data-api-login",
        default=env.get("REDSHIFT_EMULATOR_DATA_API_LOGIN"),
        help="postgresql:// URL: the login and default database of Data API statements (default: upstream's)",
    )
    parser.add_argument(
        "--data-api-page-bytes",
        type=int,
        default=int(env.get("REDSHIFT_EMULATOR_DATA_API_PAGE_BYTES", data_api_server.PAGE_BYTES)),
        help="about how many bytes of records one GetStatementResult answers before its NextToken",
    )
    parser.add_argument(
        "--log-level", default=env.get("REDSHIFT_EMULATOR_LOG_LEVEL", "WARNING"), help="e.g. INFO, DEBUG"
    )
    args = parser.parse_args(argv)
    try:
        upstream = DatabaseUrl.parse(args.upstream, 5432)
    except ValueError as error:
        parser.error(f"--upstream: {error}")
    if upstream.scheme not in ("postgresql", "postgres"):
        parser.error(f"--upstream must be a postgresql:// URL, not {redact(args.upstream)}")
    if args.authentication_timeout <= 0:
        parser.error("--authentication-timeout must be a number of seconds above 0")
    data_api_login = None
    if args.data_api_login:
        try:
            data_api_login = DatabaseUrl.parse(args.data_api_login, args.port)
        except ValueError as error:
            parser.error(f"--data-api-login: {error}")
    if args.data_api_page_bytes <= 0:
        parser.error("--data-api-page-bytes must be above 0")
    config = ServerConfig(
        args.host,
        args.port,
        upstream,
        args.s3_endpoint_url or None,
        args.authentication_timeout,
        args.data_api_port,
        data_api_login,
        args.data_api_page_bytes,
    )
    return config, args.log_level.upper()


def main(argv: list[str] | None = None) -> int:
    config, log_level = parse_args(argv)
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        import uvloop  # faster event loop: fewer microseconds per forwarded message
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    try:
        runner(serve(config))
    except OSError as error:
        print(f"redshift-emulator: cannot listen on {config.host}:{config.port}: {error}", file=sys.stderr)
        return 1
    return 0
