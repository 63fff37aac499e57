"""SIGTERM: every client gets FATAL 57P01 "terminating connection due to administrator command", as from
PostgreSQL's fast shutdown, and the statement it interrupted is in the history."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.emulator.raw_wire import emulator_of_its_own, logged_in_socket, message, read_until_closed
from tests.emulator.wire_helpers import psycopg2_connect, unique


@pytest.fixture
def doomed_emulator(redshift_emulator, warehouse_url):
    """An emulator of its own in front of the same warehouse: this test stops it."""
    with emulator_of_its_own(redshift_emulator, warehouse_url, "doomed") as emulator:
        yield emulator


def test_sigterm_ends_clients_with_57p01_and_keeps_the_interrupted_statement(
    redshift_emulator, doomed_emulator
):
    """Read on raw sockets: libpq (psycopg2) reports any FATAL that ends a connection as "server closed the
    connection unexpectedly", PostgreSQL's own pg_terminate_backend included."""
    marker = unique("interrupted")
    busy = logged_in_socket(doomed_emulator)
    idle = logged_in_socket(doomed_emulator)
    busy.sendall(message(b"Q", f"select pg_sleep(30) /* {marker} */\0".encode()))
    time.sleep(0.5)  # the statement is running upstream
    os.kill(doomed_emulator.process.pid, signal.SIGTERM)
    for sock in (busy, idle):
        sock.settimeout(10)
        answer = read_until_closed(sock)
        assert answer.startswith(b"E") and b"SFATAL\0" in answer and b"C57P01\0" in answer, answer
        assert b"terminating connection due to administrator command" in answer, answer
    assert doomed_emulator.process.popen.wait(10) == 0

    history = psycopg2_connect(redshift_emulator)
    with history.cursor() as cur:
        cur.execute(
            "SELECT status, error_message FROM sys_query_history WHERE query_text LIKE %s"
            " AND query_text NOT LIKE %s",
            (f"%{marker}%", "%sys_query_history%"),
        )
        rows = cur.fetchall()
    history.close()
    assert rows == [("failed", "terminating connection due to administrator command")], rows
