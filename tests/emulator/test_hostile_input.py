"""Broken messages and limits before login: the offending client alone gets FATAL 08P01 (or is closed
after authentication_timeout), with one log line and no traceback; every other client goes on."""

from __future__ import annotations

import struct
import time

import pytest

from tests.emulator.raw_wire import (
    PROTOCOL_3,
    emulator_of_its_own,
    logged_in_socket,
    message,
    raw_socket,
    read_until_closed,
    startup_packet,
)
from tests.emulator.wire_helpers import psycopg2_connect


def assert_protocol_violation(answer: bytes, reason: str) -> None:
    assert answer.startswith(b"E"), f"expected an ErrorResponse before the close, got {answer[:200]!r}"
    assert b"SFATAL\0" in answer and b"C08P01\0" in answer, answer
    assert reason.encode() in answer, answer


def assert_bystander_served(bystander) -> None:
    started = time.monotonic()
    with bystander.cursor() as cur:
        cur.execute("select 2")
        assert cur.fetchone() == (2,)
    assert time.monotonic() - started < 1, "another client waited on the broken one"


def log_text(emulator) -> str:
    return emulator.process.log_path.read_text(errors="replace")


BROKEN_AFTER_LOGIN = {
    "query without terminator": (message(b"Q", b"select 1"), "invalid string in message"),
    "parse without query text": (message(b"P", b"s1\0"), "invalid string in message"),
    "bind without statement name": (message(b"B", b"\0"), "invalid string in message"),
    "empty execute": (message(b"E"), "invalid string in message"),
    "empty close": (message(b"C"), "insufficient data left in message"),
    "close without name terminator": (message(b"C", b"Sname"), "invalid string in message"),
    "flush announcing 2 GB": (b"H" + struct.pack("!i", 2**31 - 1), "invalid message length 2147483647"),
    "describe announcing 20 kB": (b"D" + struct.pack("!i", 20_000) + b"S", "invalid message length 20000"),
}


@pytest.mark.parametrize("sent, reason", BROKEN_AFTER_LOGIN.values(), ids=BROKEN_AFTER_LOGIN.keys())
def test_a_broken_message_after_login_is_a_protocol_violation_for_that_client_alone(
    redshift_emulator, sent, reason
):
    bystander = psycopg2_connect(redshift_emulator)
    before = log_text(redshift_emulator)
    sock = logged_in_socket(redshift_emulator)
    sock.sendall(sent)

    assert_protocol_violation(read_until_closed(sock), reason)
    assert_bystander_served(bystander)
    added = log_text(redshift_emulator)[len(before) :]
    assert "Traceback" not in added, added
    assert added.count("protocol violation") == 1, added
    bystander.close()


def packet_with_length(length: int, body: bytes = b"") -> bytes:
    return struct.pack("!i", length) + body


BROKEN_STARTUP = {
    "length 0": (packet_with_length(0, b"\0\0\0\0"), "invalid length of startup packet"),
    "length 4": (packet_with_length(4, b"\0\3\0\0"), "invalid length of startup packet"),
    "length 2^31-1": (packet_with_length(2**31 - 1, struct.pack("!i", PROTOCOL_3)), "invalid length"),
    "over 10,000 bytes": (
        packet_with_length(10_009, struct.pack("!i", PROTOCOL_3) + b"user\0" + b"u" * 9_995 + b"\0\0"),
        "invalid length of startup packet",
    ),
    "parameters without terminator": (
        packet_with_length(8 + 7, struct.pack("!i", PROTOCOL_3) + b"user\0ab"),
        "invalid string in message",
    ),
    "no final terminator": (
        packet_with_length(8 + 8, struct.pack("!i", PROTOCOL_3) + b"user\0ab\0"),
        "invalid startup packet layout",
    ),
}


@pytest.mark.parametrize("sent, reason", BROKEN_STARTUP.values(), ids=BROKEN_STARTUP.keys())
def test_a_broken_startup_packet_is_refused_at_once(redshift_emulator, sent, reason):
    bystander = psycopg2_connect(redshift_emulator)
    before = log_text(redshift_emulator)
    sock = raw_socket(redshift_emulator, timeout=3)
    sock.sendall(sent)

    assert_protocol_violation(read_until_closed(sock), reason)
    assert_bystander_served(bystander)
    added = log_text(redshift_emulator)[len(before) :]
    assert "Traceback" not in added, added
    bystander.close()


def test_a_startup_packet_of_exactly_10000_bytes_still_logs_in(redshift_emulator):
    """The limit is PostgreSQL's, inclusive: a long but legal packet (an application_name) is served."""
    pad = "a" * (10_000 - len(startup_packet(redshift_emulator.user, redshift_emulator.database)) - 18)
    params = f"user\0{redshift_emulator.user}\0database\0{redshift_emulator.database}\0"
    params += f"application_name\0{pad}\0\0"
    packet = struct.pack("!ii", 8 + len(params), PROTOCOL_3) + params.encode()
    assert len(packet) == 10_000
    sock = raw_socket(redshift_emulator)
    sock.sendall(packet)
    seen = b""
    while b"Z\0\0\0\5" not in seen:
        chunk = sock.recv(65536)
        assert chunk, f"a 10,000-byte startup packet was refused: {seen!r}"
        seen += chunk
    sock.close()


@pytest.fixture(scope="module")
def impatient_emulator(redshift_emulator, warehouse_url):
    """A second emulator in front of the same warehouse, with authentication_timeout at 1 s."""
    flags = ("--authentication-timeout", "1", "--log-level", "INFO")
    with emulator_of_its_own(redshift_emulator, warehouse_url, "impatient", *flags) as emulator:
        yield emulator


@pytest.mark.parametrize("sent", [b"", b"\0\0\0\x20\0\3\0\0user"], ids=["silent", "half a packet"])
def test_a_client_that_does_not_log_in_is_closed_after_authentication_timeout(impatient_emulator, sent):
    sock = raw_socket(impatient_emulator, timeout=10)
    sock.sendall(sent)
    started = time.monotonic()
    answer = read_until_closed(sock)
    waited = time.monotonic() - started
    assert 0.8 < waited < 3, f"closed after {waited:.1f} s, not after the 1 s authentication_timeout"
    assert b"SFATAL\0" in answer and b"canceling authentication due to timeout" in answer, answer


def test_a_logged_in_client_outlives_authentication_timeout(impatient_emulator):
    sock = logged_in_socket(impatient_emulator)
    time.sleep(1.5)
    sock.sendall(message(b"Q", b"select 1\0"))
    answer = b""
    while b"Z\0\0\0\5" not in answer:
        chunk = sock.recv(65536)
        assert chunk, f"a logged-in client was closed by the authentication timeout: {answer!r}"
        answer += chunk
    assert b"SELECT 1" in answer
    sock.close()
