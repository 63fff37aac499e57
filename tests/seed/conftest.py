"""Seed tests work in their own throwaway MySQL database, apart from the one the DAG tests read."""

from __future__ import annotations

import pytest

from lab.config import DatabaseUrl
from tests.conftest import RUN_ID
from tests.services import mysql_connect


@pytest.fixture(scope="session")
def seed_url(mysql_url) -> DatabaseUrl:
    """The URL of a throwaway MySQL database for the seed tests, dropped at the end of the session."""
    name = f"lab_test_{RUN_ID}_seed"
    with mysql_connect(mysql_url) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    yield DatabaseUrl.parse(mysql_url, 3306).with_database(name)
    with mysql_connect(mysql_url) as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
