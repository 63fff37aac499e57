"""boto3's real `redshift-data` client on an emulator's Data API port, and waiting for a statement's end."""

from __future__ import annotations

import time

import boto3
from botocore.config import Config

from tests.conftest import AWS_TEST_KEYS


def data_api_client(api_port: int):
    return boto3.client(
        "redshift-data",
        endpoint_url=f"http://127.0.0.1:{api_port}",
        config=Config(retries={"max_attempts": 1}),  # a refusal is what the test looks at: no retry
        **AWS_TEST_KEYS,
    )


def wait(client, statement_id: str, timeout: float = 30) -> dict:
    """DescribeStatement once the statement is FINISHED, FAILED or ABORTED (or the timeout is up)."""
    deadline = time.monotonic() + timeout
    while True:
        described = client.describe_statement(Id=statement_id)
        if described["Status"] in ("FINISHED", "FAILED", "ABORTED") or time.monotonic() > deadline:
            return described
        time.sleep(0.05)
