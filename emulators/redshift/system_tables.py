"""Redshift's system tables the course looks at, kept by the emulator in each warehouse database:
STL_LOAD_ERRORS (why a COPY failed) and SYS_QUERY_HISTORY / STL_QUERY (what ran).

They are written by the emulator's own bookkeeping connection (one per database, autocommit), never by
the client's session, so a row survives the client's rollback and every session sees it at once,
as on Redshift. History is cheap for the client: statements are queued in memory and written in
batches by a background task, bounded in memory and in the table.

https://docs.aws.amazon.com/redshift/latest/dg/r_STL_LOAD_ERRORS.html
https://docs.aws.amazon.com/redshift/latest/dg/SYS_QUERY_HISTORY.html
https://docs.aws.amazon.com/redshift/latest/dg/r_STL_QUERY.html
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import psycopg

from emulators.redshift.plan import LoadErrorRow
from lab.config import DatabaseUrl

log = logging.getLogger(__name__)

HISTORY_QUEUE_LIMIT = 10_000  # statements waiting in memory; the oldest are dropped beyond this
HISTORY_TABLE_LIMIT = 10_000  # rows kept in sys_query_history
PRUNE_AFTER = 1_000  # rows inserted into one database between two prunes
FLUSH_INTERVAL = 0.5  # seconds between two background writes
COMPLAIN_EVERY = 60.0  # seconds between two log lines about the same database's bookkeeping

# One lock id for "create the system tables", so concurrent emulators and sessions create them once.
CREATE_LOCK_ID = 0x52534531

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS public.stl_load_errors (
    userid integer,
    slice integer,
    tbl integer,
    starttime timestamp,
    session integer,
    query bigint,
    filename text,
    line_number bigint,
    colname text,
    type text,
    col_length text,
    position integer,
    raw_line text,
    raw_field_value text,
    err_code integer,
    err_reason text
);
CREATE TABLE IF NOT EXISTS public.sys_query_history (
    query_id bigint NOT NULL,
    session_id integer,
    user_name text,
    database_name text,
    query_text text,
    status text,
    start_time timestamp,
    end_time timestamp,
    elapsed_time bigint,
    returned_rows bigint,
    error_message text
);
CREATE INDEX IF NOT EXISTS sys_query_history_query_id ON public.sys_query_history (query_id);
CREATE OR REPLACE VIEW public.stl_query AS
    SELECT (SELECT usesysid FROM pg_user WHERE usename = h.user_name)::integer AS userid,
           h.query_id AS query, ''::text AS label, h.session_id AS pid, h.database_name AS database,
           h.query_text AS querytxt, h.start_time AS starttime, h.end_time AS endtime,
           (h.status <> 'success')::integer AS aborted
    FROM public.sys_query_history h;
GRANT SELECT ON public.stl_load_errors, public.sys_query_history, public.stl_query TO PUBLIC;
"""

COPY_HISTORY = """
COPY public.sys_query_history (query_id, session_id, user_name, database_name, query_text, status,
    start_time, end_time, elapsed_time, returned_rows, error_message) FROM STDIN
"""

PRUNE_HISTORY = """
DELETE FROM public.sys_query_history WHERE query_id <= (
    SELECT query_id FROM public.sys_query_history ORDER BY query_id DESC OFFSET %s LIMIT 1)
"""

INSERT_LOAD_ERROR = """
INSERT INTO public.stl_load_errors (userid, slice, tbl, starttime, session, query, filename, line_number,
    colname, type, col_length, position, raw_line, raw_field_value, err_code, err_reason)
VALUES ((SELECT usesysid FROM pg_user WHERE usename = %s), 0, to_regclass(%s)::oid::integer,
    %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


class QueryIds:
    """Query ids follow the clock (microseconds since the epoch, one more if the clock has not moved), so
    they grow like Redshift's without a round trip per statement: across restarts, and across several
    emulators writing to one database, a statement started later has the larger id."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        self._last = max(self._last + 1, time.time_ns() // 1000)
        return self._last


next_query_id = QueryIds()


def utc(epoch_seconds: float) -> datetime:
    """Redshift's system tables hold UTC in `timestamp without time zone`."""
    return datetime.fromtimestamp(epoch_seconds, UTC).replace(tzinfo=None)


class HistoryEntry(NamedTuple):
    """One row of sys_query_history; query_text already has its secrets masked. A plain tuple, with
    times as epoch seconds, because one is made for every statement."""

    query_id: int
    session_id: int | None
    user_name: str
    database_name: str
    query_text: str
    status: str  # success | failed | canceled
    start_time: float
    end_time: float
    elapsed_time: int  # microseconds, as in Redshift
    returned_rows: int | None
    error_message: str | None

    def copy_line(self) -> str:
        """The row in COPY's text format: building it here costs a fraction of per-field adaptation."""
        return (
            f"{self.query_id}\t{copy_value(self.session_id)}\t{copy_value(self.user_name)}\t"
            f"{copy_value(self.database_name)}\t{copy_value(self.query_text)}\t{self.status}\t"
            f"{copy_timestamp(self.start_time)}\t{copy_timestamp(self.end_time)}\t{self.elapsed_time}\t"
            f"{copy_value(self.returned_rows)}\t{copy_value(self.error_message)}\n"
        )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_value(value: object) -> str:
    return r"\N" if value is None else str(value).translate(_COPY_ESCAPES)


@functools.lru_cache(maxsize=64)
def _utc_second(second: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))


def copy_timestamp(epoch_seconds: float) -> str:
    """UTC, as Redshift's system tables hold it in `timestamp without time zone`."""
    second = int(epoch_seconds)
    return f"{_utc_second(second)}.{int((epoch_seconds - second) * 1e6):06d}"


@dataclass(frozen=True)
class LoadContext:
    """What the wire side knows about a failed COPY besides what the loader reports."""

    database: str
    user_name: str
    target: str
    start_time: float
    session_id: int | None
    query_id: int


class SystemTables:
    """The bookkeeping connections and the history writer of one emulator process."""

    def __init__(self, upstream: DatabaseUrl) -> None:
        self._upstream = upstream
        self._connections: dict[str, psycopg.AsyncConnection] = {}
        self._connect_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()
        self._queue: deque[HistoryEntry] = deque(maxlen=HISTORY_QUEUE_LIMIT)
        self._inserted_since_prune: dict[str, int] = defaultdict(int)
        self._complained_at: dict[str, float] = {}
        self._writer: asyncio.Task | None = None

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_forever())

    async def close(self) -> None:
        if self._writer:
            self._writer.cancel()
        await self.flush()
        for conn in self._connections.values():
            await conn.close()

    def record(self, entry: HistoryEntry) -> None:
        self._queue.append(entry)

    async def flush(self, database: str | None = None) -> None:
        """Write every queued statement now; with ``database``, also make sure its tables exist."""
        async with self._write_lock:
            if database is not None:
                try:
                    await self._connection(database)
                except psycopg.Error as error:
                    self._complain(database, f"could not prepare the system tables: {error}")
            batch = list(self._queue)
            self._queue.clear()
            by_database: dict[str, list[HistoryEntry]] = defaultdict(list)
            for entry in batch:
                by_database[entry.database_name].append(entry)
            for name, entries in by_database.items():
                await self._write_history(name, entries)

    async def record_load_errors(self, context: LoadContext, rows: Sequence[LoadErrorRow]) -> None:
        """Insert one COPY's stl_load_errors rows, committed whatever the client's transaction does."""
        head = (
            context.user_name,
            context.target,
            utc(context.start_time),
            context.session_id,
            context.query_id,
        )
        try:
            conn = await self._connection(context.database)
            async with conn.cursor() as cur:
                await cur.executemany(INSERT_LOAD_ERROR, [(*head, *astuple(row)) for row in rows])
        except psycopg.Error as error:
            await self._forget(context.database)
            self._complain(context.database, f"could not write stl_load_errors: {error}")

    async def _write_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            if self._queue:
                await self.flush()

    async def _write_history(self, database: str, entries: list[HistoryEntry]) -> None:
        try:
            conn = await self._connection(database)
            async with conn.cursor() as cur, cur.copy(COPY_HISTORY) as copy:
                await copy.write("".join(entry.copy_line() for entry in entries).encode())
            self._inserted_since_prune[database] += len(entries)
            if self._inserted_since_prune[database] >= PRUNE_AFTER:
                await conn.execute(PRUNE_HISTORY, (HISTORY_TABLE_LIMIT,))
                self._inserted_since_prune[database] = 0
        except psycopg.Error as error:
            await self._forget(database)
            self._complain(database, f"could not write {len(entries)} history rows: {error}")

    async def _connection(self, database: str) -> psycopg.AsyncConnection:
        async with self._connect_lock:
            conn = self._connections.get(database)
            if conn is not None and not conn.closed:
                return conn
            conn = await psycopg.AsyncConnection.connect(
                host=self._upstream.host,
                port=self._upstream.port,
                user=self._upstream.user or None,
                password=self._upstream.password or None,
                dbname=database,
                autocommit=True,
                connect_timeout=5,
                application_name="redshift-emulator bookkeeping",
            )
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (CREATE_LOCK_ID,))
                await conn.execute(SCHEMA_SQL)
            self._connections[database] = conn
            return conn

    def _complain(self, database: str, problem: str) -> None:
        """Log a bookkeeping failure, once a minute per database: clients keep working without it."""
        now = time.monotonic()
        if now - self._complained_at.get(database, -COMPLAIN_EVERY) >= COMPLAIN_EVERY:
            self._complained_at[database] = now
            log.error("database %s: %s (statements go on; this is logged once a minute)", database, problem)

    async def _forget(self, database: str) -> None:
        """Drop a connection that failed, so the next write opens a fresh one."""
        conn = self._connections.pop(database, None)
        if conn is not None:
            await conn.close()
