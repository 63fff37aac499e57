"""What a client may send before the emulator reads no further: PostgreSQL's own limits, so that no
announced length makes the emulator wait for (or keep) more than PostgreSQL would.

Pure rules; the session applies them and ends the client with FATAL 08P01 when one is broken.
"""

from __future__ import annotations

from emulators.redshift.wire.messages import Frontend, ProtocolViolation

# src/include/libpq/pqcomm.h, MAX_STARTUP_PACKET_LENGTH: a longer startup packet is refused at once.
MAX_STARTUP_PACKET_LENGTH = 10_000
# The shortest startup packet: its length and its protocol version or request code.
MIN_STARTUP_PACKET_LENGTH = 8
# src/include/libpq/libpq.h: PQ_SMALL_MESSAGE_LIMIT for most messages, PQ_LARGE_MESSAGE_LIMIT for those
# that carry statements or data (postgres.c, SocketBackend); PG_MAX_AUTH_TOKEN_LENGTH for passwords
# (auth.c). The lengths count the Int32 length itself, as the wire does.
SMALL_MESSAGE_LIMIT = 10_000
LARGE_MESSAGE_LIMIT = (1 << 30) - 1
AUTH_TOKEN_LIMIT = 65_535
LARGE_MESSAGES = frozenset({Frontend.QUERY, Frontend.PARSE, Frontend.BIND, Frontend.COPY_DATA, ord("F")})
# PostgreSQL's authentication_timeout default (runtime-config-connection.html): a connection that has
# not logged in by then is closed.
AUTHENTICATION_TIMEOUT = 60.0


def check_startup_length(length: int) -> None:
    """A startup packet's announced length, read before the packet is: refused out of bounds
    (postmaster.c, ProcessStartupPacket)."""
    if not MIN_STARTUP_PACKET_LENGTH <= length <= MAX_STARTUP_PACKET_LENGTH:
        raise ProtocolViolation("invalid length of startup packet")


def message_limit(kind: int) -> int:
    """The longest a client message of type ``kind`` may announce itself."""
    if kind in LARGE_MESSAGES:
        return LARGE_MESSAGE_LIMIT
    if kind == Frontend.PASSWORD:
        return AUTH_TOKEN_LIMIT
    return SMALL_MESSAGE_LIMIT
