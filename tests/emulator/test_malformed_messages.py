"""A malformed message ends its own connection with FATAL 08P01 and leaves every other client served."""

from __future__ import annotations

import struct
import time

import pytest

from tests.emulator.raw_wire import logged_in_socket, read_until_closed
from tests.emulator.wire_helpers import psycopg2_connect


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
