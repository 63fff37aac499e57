"""A malformed message ends its own connection with FATAL 08P01 and leaves every other client served."""

from __future__ import annotations

import socket
import struct
import time

import pytest

from tests.emulator.wire_helpers import psycopg2_connect

PROTOCOL_3 = 196608


def logged_in_socket(emulator) -> socket.socket:
    """A raw connection that has logged in (the test PostgreSQL trusts loopback) and seen ReadyForQuery."""
    params = f"user\0{emulator.user}\0database\0{emulator.database}\0\0".encode()
    sock = socket.create_connection((emulator.host, emulator.port), timeout=5)
    sock.sendall(struct.pack("!ii", 8 + len(params), PROTOCOL_3) + params)
    seen = b""
    while b"Z\0\0\0\5" not in seen:
        chunk = sock.recv(65536)
        assert chunk, f"the emulator closed the connection during login: {seen!r}"
        seen += chunk
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


@pytest.mark.parametrize("kind", [b"H", b"D", b"Q"], ids=["flush", "describe", "query"])
@pytest.mark.parametrize("length", [-1, 0, 3], ids=lambda n: f"length{n}")
def test_a_length_below_four_is_a_protocol_violation_for_that_client_alone(redshift_emulator, kind, length):
    bystander = psycopg2_connect(redshift_emulator)
    sock = logged_in_socket(redshift_emulator)
    sock.sendall(kind + struct.pack("!i", length) + b"junk")

    answer = read_until_closed(sock)
    assert answer.startswith(b"E"), f"expected an ErrorResponse before the close, got {answer!r}"
    assert b"C08P01\0" in answer and b"SFATAL\0" in answer, answer
    assert f"invalid message length {length}".encode() in answer, answer

    started = time.monotonic()
    with bystander.cursor() as cur:
        cur.execute("select 1")
        assert cur.fetchone() == (1,)
    assert time.monotonic() - started < 1, "another client waited on the malformed message"
    bystander.close()
