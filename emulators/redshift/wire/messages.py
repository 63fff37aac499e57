"""PostgreSQL v3 protocol framing: find messages in a byte stream, read the fields the emulator looks
at, and build the few messages it writes itself.

Reference: https://www.postgresql.org/docs/current/protocol-message-formats.html
Everything here is pure; nothing knows about sockets or sessions.
"""

from __future__ import annotations

import functools
import struct
from enum import IntEnum

from emulators.redshift.errors import RedshiftError

INT32 = struct.Struct("!i")
INT16 = struct.Struct("!h")
# Client text is passed through as bytes; decoding with surrogateescape makes a rewrite round-trip
# even bytes that are not valid UTF-8.
ENCODING = "utf-8"
ERRORS = "surrogateescape"

# Untyped first messages: Int32 length, Int32 code (https://www.postgresql.org/docs/current/protocol-flow.html).
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102
AUTH_SASL = 10  # AuthenticationSASL: the server lists its SASL mechanisms


class ProtocolViolation(Exception):
    """A client message that breaks the protocol's framing or field layout: the session ends that client
    with FATAL 08P01, as PostgreSQL does (its pqformat.c words the reasons used here)."""


class Frontend(IntEnum):
    """Message types a client sends (after the startup packet)."""

    BIND = ord("B")
    CLOSE = ord("C")
    COPY_DATA = ord("d")
    COPY_DONE = ord("c")
    COPY_FAIL = ord("f")
    DESCRIBE = ord("D")
    EXECUTE = ord("E")
    FLUSH = ord("H")
    PARSE = ord("P")
    PASSWORD = ord("p")
    QUERY = ord("Q")
    SYNC = ord("S")
    TERMINATE = ord("X")


class Backend(IntEnum):
    """Message types a server sends."""

    AUTHENTICATION = ord("R")
    BACKEND_KEY_DATA = ord("K")
    BIND_COMPLETE = ord("2")
    COMMAND_COMPLETE = ord("C")
    COPY_DATA = ord("d")
    COPY_DONE = ord("c")
    COPY_IN_RESPONSE = ord("G")
    COPY_OUT_RESPONSE = ord("H")
    DATA_ROW = ord("D")
    EMPTY_QUERY_RESPONSE = ord("I")
    ERROR_RESPONSE = ord("E")
    NOTICE_RESPONSE = ord("N")
    PARAMETER_STATUS = ord("S")
    PARSE_COMPLETE = ord("1")
    PORTAL_SUSPENDED = ord("s")
    READY_FOR_QUERY = ord("Z")
    ROW_DESCRIPTION = ord("T")


# Every message after the startup packet: Byte1 type, Int32 length (counting itself, not the type),
# payload. Session.pump() reads this framing itself, in the loop that runs for every message.
HEADER_SIZE = 5


def startup_length(buffer: bytes | bytearray) -> int | None:
    """Length of the untyped startup packet at the start of ``buffer``, or None if it is not all here."""
    if len(buffer) < 8:
        return None
    length = INT32.unpack_from(buffer, 0)[0]
    return length if len(buffer) >= length else None


def frame(kind: int, payload: bytes = b"") -> bytes:
    return bytes((kind,)) + INT32.pack(len(payload) + 4) + payload


def cstring(payload: bytes, offset: int = 0) -> tuple[str, int]:
    """The NUL-terminated string at ``offset`` and the offset just past it."""
    end = payload.find(0, offset)
    if end < 0:
        raise ProtocolViolation("invalid string in message")
    return payload[offset:end].decode(ENCODING, ERRORS), end + 1


def encode_cstring(text: str) -> bytes:
    return text.encode(ENCODING, ERRORS) + b"\0"


# --- startup -----------------------------------------------------------------------------------------


def parse_startup(packet: bytes) -> tuple[int, dict[str, str]]:
    """(protocol version, parameters) of a StartupMessage (length prefix included)."""
    version = INT32.unpack_from(packet, 4)[0]
    params: dict[str, str] = {}
    offset = 8
    while offset < len(packet) and packet[offset] != 0:
        key, offset = cstring(packet, offset)
        value, offset = cstring(packet, offset)
        params[key] = value
    if offset >= len(packet):
        # protocol-message-formats.html, StartupMessage: the pairs end with a terminating NUL byte.
        raise ProtocolViolation("invalid startup packet layout: expected terminator as last byte")
    return version, params


def startup_message(version: int, params: dict[str, str]) -> bytes:
    body = INT32.pack(version) + b"".join(encode_cstring(k) + encode_cstring(v) for k, v in params.items())
    body += b"\0"
    return INT32.pack(len(body) + 4) + body


# --- frontend messages the emulator reads or rewrites -------------------------------------------------


def query_text(payload: bytes) -> str:
    return cstring(payload)[0]


def query(sql: str) -> bytes:
    return frame(Frontend.QUERY, encode_cstring(sql))


def parse_fields(payload: bytes) -> tuple[str, str, int]:
    """(statement name, query text, offset of the parameter types) of a Parse message."""
    name, offset = cstring(payload)
    sql, offset = cstring(payload, offset)
    return name, sql, offset


def parse(name: str, sql: str, parameter_types: bytes) -> bytes:
    return frame(Frontend.PARSE, encode_cstring(name) + encode_cstring(sql) + parameter_types)


def bind_names(payload: bytes) -> tuple[str, str]:
    """(portal, statement) of a Bind message."""
    portal, offset = cstring(payload)
    return portal, cstring(payload, offset)[0]


def close_target(payload: bytes) -> tuple[str, str]:
    """('S' or 'P', name) of a Close message."""
    if not payload:
        raise ProtocolViolation("insufficient data left in message")
    return chr(payload[0]), cstring(payload, 1)[0]


def copy_data(data: bytes) -> bytes:
    return frame(Frontend.COPY_DATA, data)


def copy_done() -> bytes:
    return frame(Frontend.COPY_DONE)


def copy_fail(reason: str) -> bytes:
    return frame(Frontend.COPY_FAIL, encode_cstring(reason))


def flush() -> bytes:
    return frame(Frontend.FLUSH)


# --- backend messages the emulator reads or writes ----------------------------------------------------


def error_fields(payload: bytes) -> dict[str, str]:
    """An ErrorResponse/NoticeResponse as {field code: value}, e.g. {'C': '22P02', 'M': ...}."""
    fields: dict[str, str] = {}
    offset = 0
    while payload[offset] != 0:
        code = chr(payload[offset])
        fields[code], offset = cstring(payload, offset + 1)
    return fields


def error_response(error: RedshiftError, severity: str = "ERROR") -> bytes:
    """The ONE place a RedshiftError becomes a wire message (FATAL before a session exists)."""
    fields = [("S", severity), ("V", severity), ("C", error.sqlstate), ("M", error.message)]
    if error.detail:
        fields.append(("D", error.detail))
    if error.hint:
        fields.append(("H", error.hint))
    payload = b"".join(code.encode() + encode_cstring(value) for code, value in fields) + b"\0"
    return frame(Backend.ERROR_RESPONSE, payload)


def notice_response(message: str, severity: str = "INFO") -> bytes:
    fields = [("S", severity), ("V", severity), ("C", "00000"), ("M", message)]
    payload = b"".join(code.encode() + encode_cstring(value) for code, value in fields) + b"\0"
    return frame(Backend.NOTICE_RESPONSE, payload)


def data_row_values(payload: bytes) -> list[str | None]:
    """A DataRow of text-format columns -> its values (None for NULL)."""
    count = INT16.unpack_from(payload, 0)[0]
    values: list[str | None] = []
    offset = 2
    for _ in range(count):
        length = INT32.unpack_from(payload, offset)[0]
        offset += 4
        if length < 0:
            values.append(None)
            continue
        values.append(payload[offset : offset + length].decode(ENCODING, ERRORS))
        offset += length
    return values


@functools.lru_cache(maxsize=256)
def returned_rows(command_complete_payload: bytes) -> int:
    """The rows a CommandComplete says its SELECT or FETCH returned ('SELECT 5'); 0 for other commands.
    Cached: it runs for every statement, and the same few tags come back again and again."""
    verb, _, count = command_complete_payload[:-1].rpartition(b" ")
    return int(count) if verb in (b"SELECT", b"FETCH") and count.isdigit() else 0


def command_complete(tag: str) -> bytes:
    return frame(Backend.COMMAND_COMPLETE, encode_cstring(tag))


def parameter_status(payload: bytes) -> tuple[str, str]:
    name, offset = cstring(payload)
    return name, cstring(payload, offset)[0]


def encode_parameter_status(name: str, value: str) -> bytes:
    return frame(Backend.PARAMETER_STATUS, encode_cstring(name) + encode_cstring(value))


def backend_key(payload: bytes) -> tuple[int, int]:
    """(process id, secret key) of BackendKeyData."""
    return INT32.unpack_from(payload, 0)[0], INT32.unpack_from(payload, 4)[0]
