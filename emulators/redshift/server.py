"""The emulator's TCP listener: one Session per client connection, one SystemTables per process."""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass

from emulators.redshift import limits, unload_cleanup
from emulators.redshift.session import Session
from emulators.redshift.system_tables import SystemTables
from lab.config import DatabaseUrl


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    upstream: DatabaseUrl  # where PostgreSQL listens, and the login of the bookkeeping connections
    s3_endpoint: str | None  # None: real AWS
    authentication_timeout: float = limits.AUTHENTICATION_TIMEOUT  # seconds a client has to log in


async def serve(config: ServerConfig) -> None:
    """Listen until SIGTERM or SIGINT, then write the queued history and stop."""
    system = SystemTables(config.upstream)
    system.start()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Session(config.upstream, config.s3_endpoint, system, config.authentication_timeout).client,
        config.host,
        config.port,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # One line a starter can wait for; the upstream URL's password never appears in it.
    where = f"{config.host}:{config.port} -> upstream {config.upstream.host}:{config.upstream.port}"
    print(f"redshift-emulator ready on {where}", file=sys.stderr, flush=True)
    async with server:
        await stop.wait()
    await unload_cleanup.wait_for_all()
    await system.close()
