"""Redshift's system tables the course looks at, kept by the emulator in each warehouse database:
STL_LOAD_ERRORS (why a COPY failed) and SYS_QUERY_HISTORY / STL_QUERY (what ran).

They live in the emulator's own schema (functions.FUNCTION_SCHEMA), which every session searches, so a
learner reads them unqualified, as Redshift's in pg_catalog, and never sees them among their own tables.
The same connection installs the emulator's Redshift functions there (functions.py) before any client
statement runs in the database.

They are written by the emulator's own bookkeeping connection (one per database, autocommit, closed when
idle), never by the client's session, so a row survives the client's rollback and every session sees it at
once, as on Redshift. History is cheap for the client: statements are queued in memory and written in
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
from datetime import datetime, timedelta

import psycopg

from emulators.redshift.database_url import DatabaseUrl
from emulators.redshift.load.conversion import printable
from emulators.redshift.plan import LoadErrorRow
from emulators.redshift.sql.functions import FUNCTION_SCHEMA, install_library, library_installed

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1)

HISTORY_QUEUE_LIMIT = 10_000  # statements waiting in memory; the oldest are dropped beyond this
HISTORY_TABLE_LIMIT = 10_000  # rows kept in sys_query_history
PRUNE_AFTER = 1_000  # rows inserted into one database between two prunes
FLUSH_INTERVAL = 0.5  # seconds between two background writes
COMPLAIN_EVERY = 60.0  # seconds between two log lines about the same database's bookkeeping
# A bookkeeping connection unused this long is closed, so that a database whose sessions have ended can be
# dropped (PostgreSQL refuses DROP DATABASE while any connection to it is open, this one included).
IDLE_CLOSE_AFTER = 1.0

# One lock id for "create the system tables", so concurrent emulators and sessions create them once.
CREATE_LOCK_ID = 0x52534531

SCHEMA_SQL = f"""
CREATE SCHEMA IF NOT EXISTS {FUNCTION_SCHEMA};
GRANT USAGE ON SCHEMA {FUNCTION_SCHEMA} TO PUBLIC;
-- Emulators before this one kept them in public: move them there, history and all.
DO $$BEGIN
    IF to_regclass('public.sys_query_history') IS NOT NULL
       AND to_regclass('{FUNCTION_SCHEMA}.sys_query_history') IS NULL THEN
        DROP VIEW IF EXISTS public.stl_query;
        ALTER TABLE public.sys_query_history SET SCHEMA {FUNCTION_SCHEMA};
        ALTER TABLE IF EXISTS public.stl_load_errors SET SCHEMA {FUNCTION_SCHEMA};
    END IF;
END$$;
CREATE TABLE IF NOT EXISTS {FUNCTION_SCHEMA}.stl_load_errors (
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
CREATE TABLE IF NOT EXISTS {FUNCTION_SCHEMA}.sys_query_history (
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
CREATE INDEX IF NOT EXISTS sys_query_history_query_id ON {FUNCTION_SCHEMA}.sys_query_history (query_id);
-- c_visibility-of-data.html: a regular user sees only their own rows in the STL and SYS views, a
-- superuser all. The tables hold the rows of every user (row level security filters them for readers who
-- do not own them; the emulator's bookkeeping login owns them); the views, which read the tables as their
-- owner, filter alike.
ALTER TABLE {FUNCTION_SCHEMA}.sys_query_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE {FUNCTION_SCHEMA}.stl_load_errors ENABLE ROW LEVEL SECURITY;
DO $$BEGIN
    IF NOT EXISTS (SELECT FROM pg_policies WHERE schemaname = '{FUNCTION_SCHEMA}'
                   AND tablename = 'sys_query_history' AND policyname = 'own_rows') THEN
        CREATE POLICY own_rows ON {FUNCTION_SCHEMA}.sys_query_history FOR SELECT
            USING (user_name = current_user);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_policies WHERE schemaname = '{FUNCTION_SCHEMA}'
                   AND tablename = 'stl_load_errors' AND policyname = 'own_rows') THEN
        CREATE POLICY own_rows ON {FUNCTION_SCHEMA}.stl_load_errors FOR SELECT
            USING (userid = (SELECT oid FROM pg_roles WHERE rolname = current_user));
    END IF;
END$$;
GRANT SELECT ON {FUNCTION_SCHEMA}.stl_load_errors, {FUNCTION_SCHEMA}.sys_query_history TO PUBLIC;
"""

# After the function library is installed, which drops the views of its schema it does not know.
VIEWS_SQL = f"""
CREATE OR REPLACE VIEW {FUNCTION_SCHEMA}.stl_query AS
    SELECT (SELECT usesysid FROM pg_user WHERE usename = h.user_name)::integer AS userid,
           h.query_id AS query, ''::text AS label, h.session_id AS pid, h.database_name AS database,
           h.query_text AS querytxt, h.start_time AS starttime, h.end_time AS endtime,
           (h.status <> 'success')::integer AS aborted
    FROM {FUNCTION_SCHEMA}.sys_query_history h
    WHERE h.user_name = current_user OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
-- r_SYS_LOAD_ERROR_DETAIL.html: Redshift Serverless's view of the same load errors, in its own column
-- names. The emulator keeps no transaction id (NULL) and one database per table (current_database()).
CREATE OR REPLACE VIEW {FUNCTION_SCHEMA}.sys_load_error_detail AS
    SELECT e.userid AS user_id, e.query AS query_id, NULL::bigint AS transaction_id,
           e.session AS session_id, current_database()::text AS database_name, e.tbl AS table_id,
           e.starttime AS start_time, e.filename AS file_name, e.line_number, e.colname AS column_name,
           e.type AS column_type, e.col_length AS column_length, e.position,
           e.err_code AS error_code, e.err_reason AS error_message
    FROM {FUNCTION_SCHEMA}.stl_load_errors e
    WHERE e.userid = (SELECT oid FROM pg_roles WHERE rolname = current_user)
       OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
GRANT SELECT ON {FUNCTION_SCHEMA}.stl_query, {FUNCTION_SCHEMA}.sys_load_error_detail TO PUBLIC;
"""

COPY_HISTORY = f"""
COPY {FUNCTION_SCHEMA}.sys_query_history (query_id, session_id, user_name, database_name, query_text, status,
    start_time, end_time, elapsed_time, returned_rows, error_message) FROM STDIN
"""

PRUNE_HISTORY = f"""
DELETE FROM {FUNCTION_SCHEMA}.sys_query_history WHERE query_id <= (
    SELECT query_id FROM {FUNCTION_SCHEMA}.sys_query_history ORDER BY query_id DESC OFFSET %s LIMIT 1)
"""

INSERT_LOAD_ERROR = f"""
INSERT INTO {FUNCTION_SCHEMA}.stl_load_errors (userid, slice, tbl, starttime, session, query, filename,
    line_number, colname, type, col_length, position, raw_line, raw_field_value, err_code, err_reason)
VALUES ((SELECT usesysid FROM pg_user WHERE usename = %s), 0, to_regclass(%s)::oid::integer,
    %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


class QueryIds:
    """Query ids follow the clock (microseconds since the epoch, one more if the clock has not moved), so
    they grow like Redshift's without a round trip per statement: across restarts, and across several
    emulators writing to one database, a statement started later has the larger id."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        now = time.time_ns() // 1000
        # Not max(): this runs for every statement, and the builtin's call costs more than the comparison.
        self._last = now if now > self._last else self._last + 1
        return self._last


next_query_id = QueryIds().next  # a bound method: called for every statement, cheaper than __call__


def utc(epoch_us: int) -> datetime:
    """Redshift's system tables hold UTC in `timestamp without time zone`."""
    return EPOCH + timedelta(microseconds=epoch_us)


# One row of sys_query_history, in COPY_HISTORY's column order. A plain tuple, not a NamedTuple: one is
# made for every statement, and a NamedTuple's constructor (a Python function) costs more than all the
# rest of recording it.
HistoryEntry = tuple[
    int,  # query_id
    int | None,  # session_id
    str,  # user_name
    str,  # database_name
    str,  # query_text, its secrets masked
    str,  # status: success | failed | canceled
    int,  # start_time, in microseconds since the epoch
    int,  # end_time, in microseconds since the epoch
    int,  # elapsed_time, in microseconds as in Redshift
    int | None,  # returned_rows
    str | None,  # error_message
]
DATABASE_NAME = 3  # where a HistoryEntry holds database_name


# One row in COPY's text format. Built here for every statement: a single %-format of the whole line
# costs a fraction of psycopg's per-field adaptation, and less than an f-string with format specs.
COPY_LINE = "%d\t%s\t%s\t%s\t%s\t%s\t%s.%06d\t%s.%06d\t%d\t%s\t%s\n"
COPY_NULL = r"\N"


def copy_line(entry: HistoryEntry) -> str:
    """``entry`` as a line of COPY's text format."""
    query_id, session_id, user, database, text, status, start, end, elapsed, rows, error = entry
    start_second, start_micro = divmod(start, 1_000_000)
    end_second, end_micro = divmod(end, 1_000_000)
    return COPY_LINE % (
        query_id,
        COPY_NULL if session_id is None else session_id,
        copy_text(user),
        copy_text(database),
        copy_text(text),
        status,
        _utc_second(start_second),
        start_micro,
        _utc_second(end_second),
        end_micro,
        elapsed,
        COPY_NULL if rows is None else rows,
        COPY_NULL if error is None else copy_text(error),
    )


def copy_text(text: str) -> str:
    """``text`` escaped for COPY's text format. Most texts have nothing to escape, which four `in` tests
    tell cheaply; otherwise chained replace() (each a C-level scan), as translate() looks every character
    up in a dict, over thirty times slower on a statement of a few lines."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


@functools.lru_cache(maxsize=64)
def _utc_second(second: int) -> str:
    """UTC, as Redshift's system tables hold it in `timestamp without time zone`."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))


@dataclass(frozen=True)
class LoadContext:
    """What the wire side knows about a failed COPY besides what the loader reports."""

    database: str
    user_name: str
    target: str
    start_time: int  # microseconds since the epoch
    session_id: int | None
    query_id: int


def storable(row: LoadErrorRow) -> tuple:
    """A load error's columns, its texts without the undecodable bytes a file may hold (as U+FFFD)."""
    return tuple(printable(value) if isinstance(value, str) else value for value in astuple(row))


class SystemTables:
    """The bookkeeping connections and the history writer of one emulator process."""

    def __init__(self, upstream: DatabaseUrl) -> None:
        self._upstream = upstream
        self._connections: dict[str, psycopg.AsyncConnection] = {}
        self._last_used: dict[str, float] = {}
        self._prepared: set[str] = set()
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

    async def prepare(self, database: str) -> None:
        """Make sure the system tables and the function library exist in ``database`` (once per process):
        a session calls it before its client's first statement."""
        try:
            await self._connection(database)
        except psycopg.Error as error:
            self._complain(database, f"could not prepare the system tables and functions: {error}")

    async def flush(self, database: str | None = None) -> None:
        """Write every queued statement now; with ``database``, also make sure its tables exist."""
        async with self._write_lock:
            if database is not None:
                await self.prepare(database)
            batch = list(self._queue)
            self._queue.clear()
            by_database: dict[str, list[HistoryEntry]] = defaultdict(list)
            for entry in batch:
                by_database[entry[DATABASE_NAME]].append(entry)
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
                await cur.executemany(INSERT_LOAD_ERROR, [(*head, *storable(row)) for row in rows])
        except psycopg.Error as error:
            await self._forget(context.database)
            self._complain(context.database, f"could not write stl_load_errors: {error}")

    async def _write_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            if self._queue:
                await self.flush()
            await self._close_idle()

    async def _close_idle(self) -> None:
        idle_since = time.monotonic() - IDLE_CLOSE_AFTER
        async with self._write_lock, self._connect_lock:
            for database in [name for name, used in self._last_used.items() if used < idle_since]:
                del self._last_used[database]
                conn = self._connections.pop(database, None)
                if conn is not None:
                    await conn.close()

    async def _write_history(self, database: str, entries: list[HistoryEntry]) -> None:
        try:
            conn = await self._connection(database)
            async with conn.cursor() as cur, cur.copy(COPY_HISTORY) as copy:
                # A statement's bytes that are not UTF-8 (kept through the rewrite as surrogates) become '?':
                # PostgreSQL would refuse them, and the whole batch with them.
                await copy.write("".join([copy_line(entry) for entry in entries]).encode("utf-8", "replace"))
            self._inserted_since_prune[database] += len(entries)
            if self._inserted_since_prune[database] >= PRUNE_AFTER:
                await conn.execute(PRUNE_HISTORY, (HISTORY_TABLE_LIMIT,))
                self._inserted_since_prune[database] = 0
        except psycopg.Error as error:
            await self._forget(database)
            self._complain(database, f"could not write {len(entries)} history rows: {error}")

    async def _connection(self, database: str) -> psycopg.AsyncConnection:
        async with self._connect_lock:
            self._last_used[database] = time.monotonic()
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
            # Connections come and go (IDLE_CLOSE_AFTER): once this process has prepared a database, a new
            # connection to it checks only that nobody dropped or replaced the library meanwhile.
            if database not in self._prepared or not await library_installed(conn):
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (CREATE_LOCK_ID,))
                    await conn.execute(SCHEMA_SQL)
                    await install_library(conn)
                    await conn.execute(VIEWS_SQL)  # after the library, which drops views it does not know
            self._prepared.add(database)
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
