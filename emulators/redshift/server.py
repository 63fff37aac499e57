"""The emulator's TCP listener: one Session per client connection, one SystemTables per process."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import weakref
from dataclasses import dataclass

from emulators.redshift import limits, unload_cleanup
from emulators.redshift.database_url import DatabaseUrl
from emulators.redshift.session import Session
from emulators.redshift.system_tables import SystemTables

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    upstream: DatabaseUrl  # where PostgreSQL listens, and the login of the bookkeeping connections
    s3_endpoint: str | None  # None: real AWS
    authentication_timeout: float = limits.AUTHENTICATION_TIMEOUT  # seconds a client has to log in


async def serve(config: ServerConfig) -> None:
    """Listen until SIGTERM or SIGINT, then end every client with FATAL 57P01, write the queued history
    (the interrupted statements' included) and stop."""
    system = SystemTables(config.upstream)
    system.start()
    loop = asyncio.get_running_loop()
    sessions: weakref.WeakSet[Session] = weakref.WeakSet()  # a session lives as long as its sockets

    def new_session():
        session = Session(config.upstream, config.s3_endpoint, system, config.authentication_timeout)
        sessions.add(session)
        return session.client

    server = await loop.create_server(new_session, config.host, config.port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # One line a starter can wait for; the upstream URL's password never appears in it.
    where = f"{config.host}:{config.port} -> upstream {config.upstream.host}:{config.upstream.port}"
    print(f"redshift-emulator ready on {where}", file=sys.stderr, flush=True)
    async with server:
        await stop.wait()
        log.info("stopping: ending %d client sessions", len(sessions))
        for session in list(sessions):
            session.terminate()
        await asyncio.sleep(0)  # one turn of the loop: the closed transports' connection_lost callbacks run
    await unload_cleanup.wait_for_all()
    await system.close()
