"""Raw sockets to the emulator, for tests that send what no driver would."""

from __future__ import annotations

import dataclasses
import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager

from lab import processes
from tests.conftest import TEST_LOG_DIR

PROTOCOL_3 = 196608


def startup_packet(user: str, database: str) -> bytes:
    params = f"user\0{user}\0database\0{database}\0\0".encode()
    return struct.pack("!ii", 8 + len(params), PROTOCOL_3) + params


def message(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + struct.pack("!i", len(payload) + 4) + payload


def raw_socket(emulator, timeout: float = 5) -> socket.socket:
    return socket.create_connection((emulator.host, emulator.port), timeout=timeout)


def logged_in_socket(emulator) -> socket.socket:
    """A raw connection that has logged in (the test PostgreSQL trusts loopback) and seen ReadyForQuery."""
    sock = raw_socket(emulator)
    sock.sendall(startup_packet(emulator.user, emulator.database))
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


@contextmanager
def emulator_of_its_own(shared, warehouse_url: str, name: str, *flags: str) -> Iterator:
    """Another emulator in front of the shared one's warehouse, started with ``flags``, for a test that
    changes its settings or stops it."""
    port = processes.free_port()
    command = processes.redshift_emulator_command("127.0.0.1", port, warehouse_url, None) + list(flags)
    process = processes.start(f"{name} emulator", command, TEST_LOG_DIR / f"{name}-emulator.log")
    process.wait_until(lambda: processes.port_answers("127.0.0.1", port), timeout=30)
    try:
        yield dataclasses.replace(shared, port=port, process=process)
    finally:
        process.stop()
