"""The emulator's TCP listener: one Session per client connection, one SystemTables per process."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import weakref
from dataclasses import dataclass

from emulators.redshift.catalog.system_tables import SystemTables
from emulators.redshift.data_api import server as data_api_server
from emulators.redshift.database_url import DatabaseUrl
from emulators.redshift.unload import cleanup as unload_cleanup
from emulators.redshift.wire import limits
from emulators.redshift.wire.session import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    upstream: DatabaseUrl  # where PostgreSQL listens, and the login of the bookkeeping connections
    s3_endpoint: str | None  # None: real AWS
    authentication_timeout: float = limits.AUTHENTICATION_TIMEOUT  # seconds a client has to log in
    data_api_port: int = 0  # the Redshift Data API's HTTP port; 0: not served
    data_api_login: DatabaseUrl | None = None  # the login (and default database) of its statements
    data_api_page_bytes: int = data_api_server.PAGE_BYTES


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
    data_api = _start_data_api(config) if config.data_api_port else None
    async with server:
        await stop.wait()
        if data_api is not None:
            data_api.shutdown()
        log.info("stopping: ending %d client sessions", len(sessions))
        for session in list(sessions):
            session.terminate()
        await asyncio.sleep(0)  # one turn of the loop: the closed transports' connection_lost callbacks run
    await unload_cleanup.wait_for_all()
    await system.close()


def _start_data_api(config: ServerConfig):
    """The Data API beside the wire port: its statements log in to this very emulator as clients."""
    login = config.data_api_login or config.upstream
    own_host = "127.0.0.1" if config.host in ("", "0.0.0.0", "::") else config.host
    connect = {"host": own_host, "port": config.port, "user": login.user, "password": login.password}
    server = data_api_server.start(
        config.host, config.data_api_port, connect, login.database, config.data_api_page_bytes
    )
    print(
        f"redshift-emulator data api ready on {config.host}:{config.data_api_port}",
        file=sys.stderr,
        flush=True,
    )
    return server
