"""Raw sockets to the emulator, for tests that send what no driver would."""

from __future__ import annotations

import socket
import struct

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
