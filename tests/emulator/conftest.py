"""Fixtures shared by the emulator's tests."""

import pytest

from tests.services import postgres_connect


@pytest.fixture(scope="module")
def warehouse(warehouse_url):
    """An autocommit connection straight to the warehouse database (no emulator in between)."""
    conn = postgres_connect(warehouse_url)
    conn.autocommit = True
    yield conn
    conn.close()
