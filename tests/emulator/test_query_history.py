"""What the emulator records of every statement in sys_query_history, and that it reads the client's and
upstream's messages whole however the bytes arrive.

https://docs.aws.amazon.com/redshift/latest/dg/SYS_QUERY_HISTORY.html
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest

from tests.emulator.wire_helpers import psycopg2_connect, unique

HISTORY_ROW = (
    "SELECT query_text, status, returned_rows, error_message, elapsed_time,"
    " extract(epoch FROM end_time - start_time) * 1000000,"
    " abs(extract(epoch FROM start_time - (now() AT TIME ZONE 'UTC'))) < 600"
    " FROM sys_query_history WHERE query_text LIKE %s AND query_text NOT LIKE '%%sys_query_history%%'"
    " ORDER BY query_id"
)


def test_history_keeps_the_text_rows_and_times_of_each_statement(redshift_emulator):
    marker = unique("history")
    # Tab, newline, carriage return and backslash must survive the history writer's COPY text format.
    selected = f"SELECT '{marker}', 'tab\tnew\nline\r\\back' FROM generate_series(1, 3)"
    failed = f"SELECT 1/0 AS {marker}"
    conn = psycopg2_connect(redshift_emulator)
    with conn.cursor() as cur:
        cur.execute(selected)
        assert len(cur.fetchall()) == 3
        with pytest.raises(psycopg2.errors.DivisionByZero):
            cur.execute(failed)
        cur.execute(HISTORY_ROW, (f"%{marker}%",))
        (ok_text, ok_status, ok_rows, ok_error, ok_elapsed, ok_span, ok_recent), failure = cur.fetchall()
    conn.close()
    assert (ok_text, ok_status, ok_rows, ok_error) == (selected, "success", 3, None)
    assert ok_span == ok_elapsed >= 0, "end_time - start_time is elapsed_time, in microseconds"
    assert ok_recent, "start_time is the statement's start, in UTC"
    assert failure[:4] == (failed, "failed", 0, "division by zero")


@contextmanager
def trickling_relay(host: str, port: int) -> Iterator[int]:
    """A TCP relay that hands on what the client sends one byte at a time, so that the emulator gets
    each message in pieces. Yields the relay's port; one client connection."""
    listener = socket.create_server(("127.0.0.1", 0))

    def pipe(source: socket.socket, target: socket.socket, trickle: bool) -> None:
        try:
            while data := source.recv(65536):
                if not trickle:
                    target.sendall(data)
                    continue
                for index in range(len(data)):
                    target.sendall(data[index : index + 1])
                    time.sleep(0.0002)
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # either side closed

    def serve() -> None:
        client, _ = listener.accept()
        upstream = socket.create_connection((host, port))
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=pipe, args=(upstream, client, False), daemon=True).start()
        pipe(client, upstream, True)
        client.close()
        upstream.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_messages_in_pieces_both_ways(redshift_emulator):
    """The client's messages reach the emulator a byte at a time; a large answer reaches it from
    upstream in many reads, its DataRows cut anywhere."""
    marker = unique("pieces")
    big = f"SELECT n, repeat('{marker}', 20) FROM generate_series(1, 50000) AS n"
    with trickling_relay(redshift_emulator.host, redshift_emulator.port) as port:
        conn = psycopg2_connect(dataclasses.replace(redshift_emulator, port=port))
        with conn.cursor() as cur:
            cur.execute("SELECT 'whole'")
            assert cur.fetchall() == [("whole",)]
            cur.execute(big)
            rows = cur.fetchall()
            assert len(rows) == 50000
            assert sum(n for n, _ in rows) == 50000 * 50001 // 2
            assert {text for _, text in rows} == {marker * 20}
            cur.execute("SELECT returned_rows FROM sys_query_history WHERE query_text = %s", (big,))
            assert cur.fetchall() == [(50000,)]
        conn.close()
