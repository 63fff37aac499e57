"""One client connection: the PostgreSQL session behind it, and what the emulator changes in between.

The session forwards the PostgreSQL v3 protocol byte for byte except where Redshift differs:
statement texts (Query, Parse) go through ``rewrite()``; a COPY from S3 becomes upstream's
COPY FROM STDIN fed by the S3 loader; an UNLOAD becomes COPY TO STDOUT written to S3; every statement
lands in the query history. Each side's messages are dispatched through a handler table keyed by
message type; types without a handler are forwarded untouched, in runs, with one write per run.

Responses come back in the order of requests, so the session keeps a FIFO of the requests whose
answers it must recognise (Query, Parse, Execute, Sync): the head of that queue is what every
ErrorResponse, CommandComplete, CopyInResponse or ReadyForQuery belongs to.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from emulators.redshift.catalog.system_tables import LoadContext, SystemTables, next_query_id
from emulators.redshift.database_url import DatabaseUrl
from emulators.redshift.errors import RedshiftError
from emulators.redshift.load.conversion import Column, columns_sql, load_columns, needs_row_conversion
from emulators.redshift.plan import CopyFromS3, LoadErrorRow, Rewritten, UnloadToS3
from emulators.redshift.sql.functions import EXPLAINED_SQLSTATES, SEARCH_PATH_TAIL, explained_error
from emulators.redshift.sql.long_rewrites import LongRewrites
from emulators.redshift.sql.rewrite import mask_secrets
from emulators.redshift.unload import cleanup as unload_cleanup
from emulators.redshift.wire import limits, messages, statement_cache
from emulators.redshift.wire.messages import Backend, Frontend

log = logging.getLogger(__name__)

# Startup parameters redshift_connector sends that PostgreSQL refuses (FATAL 42704 unrecognized
# configuration parameter); without them it falls back to the plain PostgreSQL protocol.
REDSHIFT_ONLY_PARAMETERS = frozenset(
    {"client_protocol_version", "driver_version", "os_version", "driver_discovery_version", "plugin_name"}
)
# A statement PostgreSQL refuses at parse time: sent upstream in place of one the emulator refuses, so
# that upstream's transaction state (aborted block, ReadyForQuery status) is exactly what it would be
# had Redshift refused it. The client sees the emulator's error in place of upstream's.
REFUSED_SQL = "redshift emulator refused this statement"
# Run in every client's session before its first ReadyForQuery, in one round trip:
# 1. The emulator's Redshift functions and system tables (functions.py) on the search path, after the
#    session's own schemas (role and database defaults kept); pg_catalog, left off, goes first (builtins.py).
# 2. No trigger fires, so neither the re-check of a deferred key (rewrite.py makes every key deferrable) nor
#    a foreign key's check runs. The keys stay in the catalog, unenforced, as on Redshift
#    (t_Defining_constraints.html). Superusers only, or a role granted SET ON PARAMETER
#    session_replication_role (PostgreSQL 15+): for others the DO block's handler keeps the search path
#    (one failing statement would undo the whole Query), and the last row says which case it was.
SESSION_SETUP_SQL = (
    "SELECT set_config('search_path', concat_ws(', ', nullif(current_setting('search_path'), ''), "
    f"'{SEARCH_PATH_TAIL}'), false); "
    "DO $$BEGIN SET session_replication_role = replica; "
    "EXCEPTION WHEN insufficient_privilege THEN NULL; END$$; "
    "SELECT current_setting('session_replication_role')"
)
# While one side is on hold, what it sends is kept up to this size before the emulator stops reading.
HOLD_BUFFER_LIMIT = 1 << 20
# UNLOAD output is handed to the (blocking) writer in batches of about this size.
UNLOAD_BATCH_BYTES = 1 << 20


class State(enum.Enum):
    STARTUP = "startup"  # waiting for the startup packet; SSL/GSS requests are declined
    CONNECTING = "connecting"  # opening the upstream connection
    AUTHENTICATING = "authenticating"  # authentication messages pass both ways until ReadyForQuery
    READY = "ready"
    COPY_FROM_S3 = "copy from s3"  # the emulator feeds upstream's COPY FROM STDIN from S3
    UNLOAD_TO_S3 = "unload to s3"  # the emulator writes upstream's COPY TO STDOUT to S3
    CLOSED = "closed"


# Python 3.11 finds an Enum's members through EnumType.__getattr__, several times slower than a global
# name, and the handlers compare with them for every message: the code uses these names for them.
STARTUP, CONNECTING, AUTHENTICATING, READY, COPY_FROM_S3, UNLOAD_TO_S3, CLOSED = State


class Verdict(enum.Enum):
    """What a handler did with its message, unless it returns the bytes to send in its place."""

    FORWARD = "forward"  # send it on unchanged
    AGAIN = "again"  # not consumed: the side is on hold and the message is handled again on release


FORWARD, AGAIN = Verdict

DROP = b""  # a handler's answer for a message that goes no further
Outcome = Verdict | bytes
# The columns upstream described for each COPY from S3 of a statement, read just before it was sent.
Described = dict[CopyFromS3, list[Column]]


class Kind(enum.Enum):
    QUERY = "query"
    PARSE = "parse"
    EXECUTE = "execute"
    SYNC = "sync"


QUERY, PARSE, EXECUTE, SYNC = Kind


def malformed(broken: Exception) -> str:
    """What a handler's failure to read a client message says about it, in PostgreSQL's words."""
    if isinstance(broken, messages.ProtocolViolation):
        return str(broken)
    return "insufficient data left in message"


def loggable(sql: str) -> str:
    """``sql`` with its secrets masked, for a statement rewrite() refused."""
    try:
        return mask_secrets(sql)
    except Exception:
        return "(not shown: the emulator could not mask its secrets)"


@functools.cache
def warn_keys_enforced() -> None:
    """Once per emulator process: every session of the same login would say the same."""
    log.warning("primary keys are enforced here: the upstream user cannot set session_replication_role")


def bare_version(server_version: str) -> str:
    """'15.20 (Debian 15.20-1.pgdg120+1)' -> '15.20': redshift_connector cannot parse the suffix."""
    return server_version.split(" ", 1)[0]


@dataclass(eq=False)
class Request:
    """A client request whose answer the session must recognise.

    One is made for every statement, so __init__ sets only what is known then. The init=False fields
    are set as the statement runs; until then they read as the class's defaults (dataclass leaves them
    out of __init__ in a class without __slots__).
    """

    kind: Kind
    text: str = ""  # the statement with secrets masked, for the history
    actions: deque | None = None  # what to do at each COPY of the statement, in order
    replacement: RedshiftError | None = None  # the error the client gets instead of upstream's
    columns: Described | None = None  # the target columns of each COPY from S3, read before it ran
    holds_client: bool = field(default=False, init=False)
    query_id: int = field(default=0, init=False)
    started: int = field(default=0, init=False)  # microseconds since the epoch
    clock: float = field(default=0.0, init=False)  # perf_counter() then, for the elapsed time
    rows: int = field(default=0, init=False)
    error: dict[str, str] | None = field(default=None, init=False)
    copy: CopyFromS3 | None = field(default=None, init=False)  # the COPY from S3 upstream runs for it
    load: object | None = field(default=None, init=False)  # the S3Load feeding it
    feeder: asyncio.Task | None = field(default=None, init=False)
    upstream_failed: bool = field(default=False, init=False)
    unloading: bool = field(default=False, init=False)  # upstream's COPY TO STDOUT goes to S3 for it
    unload: object | None = field(default=None, init=False)  # the S3Unload written by it
    unload_batch: list[bytes] | None = field(default=None, init=False)  # a list once unloading starts
    unload_batch_bytes: int = field(default=0, init=False)
    rejections_recorded: bool = field(default=False, init=False)  # MAXERROR's skipped rows are recorded
    # It failed for the client only (an UNLOAD whose S3 side failed): upstream's transaction must fail too.
    aborts_upstream: bool = field(default=False, init=False)

    def start(self) -> None:
        self.query_id = next_query_id()
        self.started = time.time_ns() // 1000
        self.clock = time.perf_counter()

    @property
    def has_s3_action(self) -> bool:
        return self.actions is not None and any(action is not None for action in self.actions)


@dataclass(frozen=True)
class Statement:
    """A prepared statement as the client named it: its rewriting, or why the emulator refused it."""

    text: str
    rewritten: Rewritten | None  # None: refused
    columns: Described | None = None


class Peer(asyncio.Protocol):
    """One end of a session: the client's socket or upstream's, with what it sent and the session has
    not handled yet."""

    def __init__(self, session: Session, handlers: dict[int, Callable[[bytes], Outcome]]) -> None:
        self.session = session
        self.handlers = handlers
        self.transport: asyncio.Transport | None = None
        # What it sent that the session has not handled: one read's bytes as they came (most reads hold
        # whole messages, handled without a copy), or a bytearray while reads pile up.
        self.buffer: bytes | bytearray = b""
        self.held = False
        self.writable = asyncio.Event()
        self.writable.set()
        self._paused_for: set[str] = set()
        self.other: Peer | None = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.session.connected(self)

    def data_received(self, data: bytes) -> None:
        if not self.buffer:
            self.buffer = data
        elif isinstance(self.buffer, bytearray):
            self.buffer += data
        else:
            self.buffer = bytearray(self.buffer) + data
        if self.held:
            if len(self.buffer) > HOLD_BUFFER_LIMIT:
                self._pause_reading("held")
        else:
            self.session.pump(self)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.writable.set()
        self.session.lost(self)

    def pause_writing(self) -> None:
        self.writable.clear()
        if self.other is not None:
            self.other._pause_reading("peer")

    def resume_writing(self) -> None:
        self.writable.set()
        if self.other is not None:
            self.other._resume_reading("peer")

    # the session's side
    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    async def drain(self) -> None:
        await self.writable.wait()
        if self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("connection closed")

    def hold(self) -> None:
        self.held = True

    def release(self) -> None:
        self.held = False
        self._resume_reading("held")
        self.session.pump(self)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _pause_reading(self, reason: str) -> None:
        if not self._paused_for and self.transport is not None:
            self.transport.pause_reading()
        self._paused_for.add(reason)

    def _resume_reading(self, reason: str) -> None:
        if reason in self._paused_for:
            self._paused_for.discard(reason)
            if not self._paused_for and self.transport is not None:
                self.transport.resume_reading()


class Session:
    """Everything the emulator knows about one client connection."""

    def __init__(
        self,
        upstream: DatabaseUrl,
        s3_endpoint: str | None,
        system: SystemTables,
        authentication_timeout: float = limits.AUTHENTICATION_TIMEOUT,
    ) -> None:
        self.upstream_url = upstream
        self.authentication_timeout = authentication_timeout
        self._login_deadline: asyncio.TimerHandle | None = None
        self.s3_endpoint = s3_endpoint
        self.system = system
        self.state = STARTUP
        self.user = ""
        self.database = ""
        self._client_is_redshift_connector = False
        self.backend_pid: int | None = None
        self.requests: deque[Request] = deque()
        self.statements: dict[str, Statement] = {}
        self.portals: dict[str, Statement] = {}
        self._flushed_for_retry = False
        self._described: Described | None = None  # read for the held message, which takes it when retried
        self._hidden_answer: asyncio.Future | None = None  # what _hidden_query awaits
        self._hidden_rows: list[list[str | None]] | None = None  # None: upstream refused the query
        self._tasks: set[asyncio.Task] = set()
        self.long_rewrites = LongRewrites()
        self.client = Peer(
            self,
            {
                Frontend.QUERY: self._on_query,
                Frontend.PARSE: self._on_parse,
                Frontend.BIND: self._on_bind,
                Frontend.EXECUTE: self._on_execute,
                Frontend.SYNC: self._on_sync,
                Frontend.CLOSE: self._on_close,
            },
        )
        self.upstream = Peer(
            self,
            {
                Backend.AUTHENTICATION: self._on_authentication,
                Backend.PARAMETER_STATUS: self._on_parameter_status,
                Backend.BACKEND_KEY_DATA: self._on_backend_key_data,
                Backend.PARSE_COMPLETE: self._on_parse_complete,
                Backend.COMMAND_COMPLETE: self._on_command_complete,
                Backend.EMPTY_QUERY_RESPONSE: self._on_execution_end,
                Backend.PORTAL_SUSPENDED: self._on_execution_end,
                Backend.ERROR_RESPONSE: self._on_error_response,
                Backend.READY_FOR_QUERY: self._on_ready_for_query,
                Backend.COPY_IN_RESPONSE: self._on_copy_in_response,
                Backend.COPY_OUT_RESPONSE: self._on_copy_out_response,
                Backend.COPY_DATA: self._on_copy_out_data,
                Backend.COPY_DONE: self._on_copy_out_done,
            },
        )
        self._normal_upstream_handlers = self.upstream.handlers
        # While the emulator's own query runs upstream (_hidden_query), its answer never reaches the client.
        self._hidden_query_handlers = {
            Backend.ROW_DESCRIPTION: lambda payload: DROP,
            Backend.DATA_ROW: self._on_hidden_row,
            Backend.COMMAND_COMPLETE: lambda payload: DROP,
            Backend.NOTICE_RESPONSE: lambda payload: DROP,
            Backend.ERROR_RESPONSE: self._on_hidden_error,
            Backend.READY_FOR_QUERY: self._on_hidden_query_end,
        }
        self.client.other, self.upstream.other = self.upstream, self.client
        self._startup_handlers = {
            messages.SSL_REQUEST: self._decline_encryption,
            messages.GSSENC_REQUEST: self._decline_encryption,
            messages.CANCEL_REQUEST: self._forward_cancel,
        }

    # --- plumbing -------------------------------------------------------------------------------------

    def connected(self, peer: Peer) -> None:
        if peer is self.client:
            loop = asyncio.get_running_loop()
            self._login_deadline = loop.call_later(self.authentication_timeout, self._login_timed_out)
        elif self.state is CLOSED:
            peer.close()

    def _login_timed_out(self) -> None:
        """authentication_timeout (runtime-config-connection.html): a client that has not logged in by
        then is closed, with PostgreSQL's words (postgres.c, "canceling authentication due to timeout")."""
        if self.state in (STARTUP, CONNECTING, AUTHENTICATING):
            log.warning("closing a connection that did not log in within %g s", self.authentication_timeout)
            refusal = RedshiftError("canceling authentication due to timeout", "57014")
            self.client.write(messages.error_response(refusal, "FATAL"))
            self.client.close()
            self.upstream.close()

    def lost(self, peer: Peer) -> None:
        """Either side closed: close the other at once, so upstream never keeps a transaction or lock
        of a client that is gone."""
        self.state = CLOSED
        if self._login_deadline is not None:
            self._login_deadline.cancel()
        peer.other.close()
        for task in list(self._tasks):
            task.cancel()
        for request in self.requests:
            if request.unload is not None:
                unload_cleanup.abandon(request.unload)
                request.unload = None

    def pump(self, source: Peer) -> None:
        """Handle every complete message ``source`` sent, forwarding runs of unhandled ones in one write.

        It runs for every message of every session, so the framing is spelled out here rather than
        called from messages.py: a message is its type byte, then an Int32 length that counts itself
        but not the type, then the payload (protocol-message-formats.html)."""
        if self.state is STARTUP and source is self.client:
            self._startup()
            return
        buffer, handlers = source.buffer, source.handlers
        size, header, length_at = len(buffer), messages.HEADER_SIZE, messages.INT32.unpack_from
        out: list[bytes] = []  # handlers return what they send on, so one write carries all of it
        offset = run = 0
        try:
            while size - offset >= header:
                length = length_at(buffer, offset + 1)[0]
                if length < 4:  # the length counts itself: anything less can never advance the loop
                    self._protocol_violation(source, f"invalid message length {length}")
                    return
                end = offset + 1 + length
                if end > size:
                    # Checked only while waiting for the rest: a length no client may send is refused
                    # before the emulator buffers it.
                    if source is self.client and length > limits.message_limit(buffer[offset]):
                        self._protocol_violation(source, f"invalid message length {length}")
                        return
                    break
                handler = handlers.get(buffer[offset])
                if handler is not None:
                    outcome = handler(bytes(buffer[offset + header : end]))
                    if outcome is AGAIN:
                        break
                    if outcome is not FORWARD:
                        if run < offset:
                            out.append(buffer[run:offset])
                        if outcome:
                            out.append(outcome)
                        run = end
                    if source.held:  # only a handler holds its own side
                        offset = end
                        break
                offset = end
            if run < offset:
                out.append(buffer[run:offset])
        except (messages.ProtocolViolation, struct.error, IndexError) as broken:
            # A handler read past a message's end or found no string terminator: the message is broken.
            out.clear()
            self._protocol_violation(source, malformed(broken))
            return
        finally:
            if out:
                # A read forwarded whole is written as it came: join() of one bytes object is that object.
                source.other.write(b"".join(out))
        if offset:
            source.buffer = buffer[offset:]

    def terminate(self) -> None:
        """The emulator is stopping (SIGTERM): end this client as PostgreSQL's fast shutdown ends it
        (postgres.c, ProcessInterrupts: FATAL 57P01), the statements it was running kept in the history."""
        if self.state is CLOSED:
            return
        refusal = RedshiftError("terminating connection due to administrator command", "57P01")
        for request in self.requests:
            if request.kind in (QUERY, EXECUTE):
                request.error = {"C": refusal.sqlstate, "M": refusal.message}
                self._conclude(request)
        self.requests.clear()
        self.client.write(messages.error_response(refusal, "FATAL"))
        self.client.close()
        self.upstream.close()

    def _protocol_violation(self, source: Peer, reason: str) -> None:
        """A framing error ends this one connection, as PostgreSQL ends it (FATAL 08P01), and no other."""
        log.warning("closing a connection: protocol violation from the %s: %s", self._side(source), reason)
        if source is self.client:
            self.client.write(messages.error_response(RedshiftError(reason, "08P01"), "FATAL"))
        source.buffer = b""
        self.client.close()
        self.upstream.close()

    def _side(self, peer: Peer) -> str:
        return "client" if peer is self.client else "upstream server"

    def _spawn(self, coroutine) -> asyncio.Task:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("session task failed; closing the connection", exc_info=task.exception())
            self.client.close()

    async def _blocking(self, function, *args):
        """Run a blocking S3 call in a worker thread; anything but a RedshiftError becomes one."""
        try:
            return await asyncio.to_thread(function, *args)
        except RedshiftError:
            raise
        except Exception as error:
            log.exception("S3 transfer failed unexpectedly")
            raise RedshiftError(
                mask_secrets(f"S3 transfer failed: {type(error).__name__}: {error}")
            ) from error

    # --- startup --------------------------------------------------------------------------------------

    def _startup(self) -> None:
        try:
            while self.state is STARTUP:
                buffer = self.client.buffer
                if len(buffer) < 4:
                    return
                limits.check_startup_length(messages.INT32.unpack_from(buffer, 0)[0])
                length = messages.startup_length(buffer)
                if length is None:
                    return
                packet = bytes(buffer[:length])
                self.client.buffer = buffer[length:]
                code = messages.INT32.unpack_from(packet, 4)[0]
                handler = self._startup_handlers.get(code, self._start_session)
                handler(packet)
        except messages.ProtocolViolation as broken:
            self._protocol_violation(self.client, str(broken))

    def _decline_encryption(self, packet: bytes) -> None:
        # The lab speaks plain TCP on localhost; 'N' tells the client to go on unencrypted.
        self.client.write(b"N")

    def _forward_cancel(self, packet: bytes) -> None:
        """The client holds upstream's own process id and key (BackendKeyData passes through), so the
        request goes to upstream unchanged, on a connection of its own."""
        self.client.hold()
        self._spawn(self._send_cancel(packet))

    async def _send_cancel(self, packet: bytes) -> None:
        try:
            _, writer = await asyncio.open_connection(self.upstream_url.host, self.upstream_url.port)
            writer.write(packet)
            await writer.drain()
            writer.close()
        except OSError as error:
            log.warning("could not forward a cancel request upstream: %s", error)
        self.client.close()

    def _start_session(self, packet: bytes) -> None:
        version, params = messages.parse_startup(packet)
        if version >> 16 != 3:
            error = RedshiftError(
                f"unsupported frontend protocol {version >> 16}.{version & 0xFFFF}", "0A000"
            )
            self.client.write(messages.error_response(error, "FATAL"))
            self.client.close()
            return
        self._client_is_redshift_connector = not REDSHIFT_ONLY_PARAMETERS.isdisjoint(params)
        params = {k: v for k, v in params.items() if k not in REDSHIFT_ONLY_PARAMETERS}
        self.user = params.get("user", "")
        self.database = params.get("database") or self.user
        self.state = CONNECTING
        self.client.hold()
        self._spawn(self._connect(messages.startup_message(version, params)))

    async def _connect(self, startup: bytes) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(
                lambda: self.upstream, self.upstream_url.host, self.upstream_url.port
            )
        except OSError as error:
            where = f"{self.upstream_url.host}:{self.upstream_url.port}"
            refusal = RedshiftError(
                f"the Redshift emulator could not reach PostgreSQL at {where}: {error}", "08006"
            )
            self.client.write(messages.error_response(refusal, "FATAL"))
            self.client.close()
            return
        if self.state is CLOSED:
            return
        self.upstream.write(startup)
        self.state = AUTHENTICATING
        self.client.release()

    async def _set_up_session(self, ready_for_query: bytes) -> None:
        """Authenticated: make sure the database has the emulator's functions, put them on the session's
        search path and make its keys unenforced, then hand the client upstream's first ReadyForQuery, held
        back until now (the client is held meanwhile)."""
        await self.system.prepare(self.database)
        rows, _ = await self._hidden_query(SESSION_SETUP_SQL)
        if not rows or rows[-1] != ["replica"]:
            warn_keys_enforced()  # the session goes on, with PostgreSQL's checks
        self.state = READY
        self._login_deadline.cancel()
        log.debug("session for %s@%s ready (upstream pid %s)", self.user, self.database, self.backend_pid)
        self.client.write(messages.frame(Backend.READY_FOR_QUERY, ready_for_query))
        self.client.release()

    # --- client messages ------------------------------------------------------------------------------

    def _on_query(self, payload: bytes) -> Outcome:
        try:
            answer = self._rewritten(statement_cache.rewrite_query, payload)
            if answer is None:
                return AGAIN
            rewritten, replacement = answer
        except RedshiftError as refusal:
            self._refuse(QUERY, messages.query_text(payload), refusal)
            return messages.query(REFUSED_SQL)
        columns = None
        if rewritten.touches_system_tables or rewritten.actions:  # most statements need no preparing
            if self._must_flush_first(rewritten) or self._must_describe_first(rewritten):
                return AGAIN
            columns = self._take_described()
        self._request(QUERY, rewritten, columns)
        return replacement or FORWARD

    def _on_parse(self, payload: bytes) -> Outcome:
        name, sql, types_at = messages.parse_fields(payload)
        try:
            rewritten = self._rewritten(statement_cache.rewrite_text, sql)
            if rewritten is None:
                return AGAIN
        except RedshiftError as refusal:
            self.statements[name] = Statement(loggable(sql), None)
            self._refuse(PARSE, sql, refusal)
            return messages.parse(name, REFUSED_SQL, payload[types_at:])
        # PostgreSQL resolves table names at Parse: the system tables must exist (with the history) by then.
        if self._must_flush_first(rewritten) or self._must_describe_first(rewritten):
            return AGAIN
        self.statements[name] = Statement(rewritten.loggable_sql, rewritten, self._take_described())
        self.requests.append(Request(PARSE, rewritten.loggable_sql))
        if rewritten.sql == sql:
            return FORWARD
        return messages.parse(name, rewritten.sql, payload[types_at:])

    def _rewritten(self, function, text):
        """``function(text)``; None if a worker thread computes it (a long statement), the client held
        until then: the message is handled again on release and finds the answer."""
        if statement_cache.is_quick(text):
            return function(text)
        done = self.long_rewrites.take(text)
        if done is None:
            self.client.hold()
            self._spawn(self.long_rewrites.run(function, text, self.client.release))
        return done

    def _on_bind(self, payload: bytes) -> Outcome:
        portal, name = messages.bind_names(payload)
        statement = self.statements.get(name)
        # Bind takes the portal's snapshot: the history must be written before it.
        if statement is not None and statement.rewritten and self._must_flush_first(statement.rewritten):
            return AGAIN
        self.portals[portal] = statement
        return FORWARD

    def _on_execute(self, payload: bytes) -> Outcome:
        statement = self.portals.get(messages.cstring(payload)[0])
        if statement is None or statement.rewritten is None:
            request = Request(EXECUTE, statement.text if statement else "")
            request.start()
            self.requests.append(request)
            return FORWARD
        request = self._request(EXECUTE, statement.rewritten, statement.columns)
        if request.has_s3_action:
            # The client's Flush and Sync are held until the S3 side is done, and PostgreSQL keeps a COPY TO
            # STDOUT's output to itself until one comes: ask for it now.
            return messages.frame(Frontend.EXECUTE, payload) + messages.flush()
        return FORWARD

    def _on_sync(self, payload: bytes) -> Outcome:
        self.requests.append(Request(SYNC))
        return FORWARD

    def _on_close(self, payload: bytes) -> Outcome:
        target, name = messages.close_target(payload)
        (self.statements if target == "S" else self.portals).pop(name, None)
        return FORWARD

    def _request(self, kind: Kind, rewritten: Rewritten, columns: Described | None = None) -> Request:
        request = Request(
            kind,
            rewritten.loggable_sql,
            deque(rewritten.actions) if rewritten.actions else None,
            columns=columns,
        )
        request.start()
        if request.has_s3_action:
            # Nothing else of the client's may reach upstream while the emulator drives a COPY there:
            # upstream would take it as the end of the copy (and a Sync would be swallowed by it).
            request.holds_client = True
            self.client.hold()
        self.requests.append(request)
        return request

    def _refuse(self, kind: Kind, sql: str, refusal: RedshiftError) -> None:
        request = Request(kind, loggable(sql), replacement=refusal)
        request.start()
        self.requests.append(request)

    def _must_flush_first(self, rewritten: Rewritten) -> bool:
        """A statement that reads the system tables sees every statement before it: write the queued
        history first (holding this message until that is done)."""
        if not rewritten.touches_system_tables or self._flushed_for_retry:
            self._flushed_for_retry = False
            return False
        self.client.hold()
        self._spawn(self._flush_then_release())
        return True

    async def _flush_then_release(self) -> None:
        await self.system.flush(self.database)
        self._flushed_for_retry = True
        self.client.release()

    # --- the target columns of a COPY from S3 ---------------------------------------------------------

    def _must_describe_first(self, rewritten: Rewritten) -> bool:
        """Redshift's per-field rules depend on the target's column types, and a `#temp` target exists
        in the client's session only: ask upstream in that session, before the statement goes there."""
        if not rewritten.actions or self._described is not None:
            return False
        loads = [action for action in rewritten.actions if isinstance(action, CopyFromS3)]
        if not loads:
            return False
        self.client.hold()
        self._spawn(self._describe_then_release(loads))
        return True

    def _take_described(self) -> Described | None:
        described, self._described = self._described, None
        return described

    async def _describe_then_release(self, loads: list[CopyFromS3]) -> None:
        described: Described = {}
        if await self._upstream_idle():
            for plan in loads:
                described[plan] = load_columns(plan, await self._describe(plan))
        self._described = described
        self.client.release()

    async def _upstream_idle(self) -> bool:
        """Wait for upstream to answer what it was sent. False if the client is in the middle of an
        extended-protocol batch (no Sync yet): a query then would end that batch, so none is sent."""
        while self.requests:
            if self.requests[-1].kind not in (QUERY, SYNC):
                return False
            await asyncio.sleep(0.002)
        return True

    async def _describe(self, plan: CopyFromS3) -> list[Column]:
        # No rows if upstream refused the query, e.g. in an aborted transaction: the COPY fails there alike.
        rows, _ = await self._hidden_query(columns_sql(plan))
        return [Column(name, type_name, not_null == "t") for name, type_name, not_null in rows or []]

    # --- the emulator's own queries in the client's session -------------------------------------------

    async def _hidden_query(self, sql: str) -> tuple[list[list[str | None]] | None, bytes]:
        """Run ``sql`` upstream in the client's session, out of the client's sight: its rows (None if
        upstream refused it) and the payload of upstream's ReadyForQuery after it, the transaction status.
        Upstream must have answered all it was sent, and the client must be held."""
        self._hidden_answer = asyncio.get_running_loop().create_future()
        self._hidden_rows = []
        self.upstream.handlers = self._hidden_query_handlers
        self.upstream.write(messages.query(sql))
        return await self._hidden_answer

    def _on_hidden_row(self, payload: bytes) -> Outcome:
        if self._hidden_rows is not None:
            self._hidden_rows.append(messages.data_row_values(payload))
        return DROP

    def _on_hidden_error(self, payload: bytes) -> Outcome:
        self._hidden_rows = None
        return DROP

    def _on_hidden_query_end(self, payload: bytes) -> Outcome:
        self.upstream.handlers = self._normal_upstream_handlers
        if self._hidden_answer is not None and not self._hidden_answer.done():
            self._hidden_answer.set_result((self._hidden_rows, payload))
        return DROP

    # --- upstream messages ----------------------------------------------------------------------------

    def _on_authentication(self, payload: bytes) -> Outcome:
        """redshift_connector reads AuthenticationSASL's mechanism list as data[4:-1].split(NUL), which
        leaves an empty name its SCRAM library refuses, so it cannot log in to a PostgreSQL that asks for
        scram-sha-256 (Redshift never asks for SASL). It gets the list without its final terminator."""
        if (
            self._client_is_redshift_connector
            and messages.INT32.unpack_from(payload)[0] == messages.AUTH_SASL
        ):
            return messages.frame(Backend.AUTHENTICATION, payload[:-1])
        return FORWARD

    def _on_parameter_status(self, payload: bytes) -> Outcome:
        name, value = messages.parameter_status(payload)
        if name != "server_version" or bare_version(value) == value:
            return FORWARD
        return messages.encode_parameter_status(name, bare_version(value))

    def _on_backend_key_data(self, payload: bytes) -> Outcome:
        self.backend_pid = messages.backend_key(payload)[0]
        return FORWARD

    def _on_parse_complete(self, payload: bytes) -> Outcome:
        if self.requests and self.requests[0].kind is PARSE:
            self.requests.popleft()
        return FORWARD

    def _on_command_complete(self, payload: bytes) -> Outcome:
        request = self._head()
        if request is None:
            return FORWARD
        outcome: Outcome = FORWARD
        if self.state is COPY_FROM_S3:
            rejected = request.load.rejected if request.load is not None else []
            if rejected and not request.rejections_recorded:
                self.upstream.hold()
                self._spawn(self._record_rejected_then_release(request))
                return AGAIN
            self.state = READY
            if rejected:
                # MAXERROR let the load succeed without these rows; Redshift says so (INFO) before COPY n.
                outcome = messages.notice_response(
                    f"Load into table '{request.copy.table_name}' completed, {len(rejected)} record(s) "
                    "could not be loaded.  Check 'stl_load_errors' system table for details."
                ) + messages.frame(Backend.COMMAND_COMPLETE, payload)
        elif self.state is UNLOAD_TO_S3:
            self.upstream.hold()
            self._spawn(self._finish_unload(request))
            return AGAIN
        if request.unloading:
            # Upstream's COPY TO STDOUT is done and so is the S3 side: answer like Redshift's UNLOAD.
            request.unloading = False
            if request.replacement is None:
                answer = messages.command_complete("UNLOAD")
            else:
                answer = messages.error_response(request.replacement)
                request.error = {"C": request.replacement.sqlstate, "M": request.replacement.message}
            self._end_execution(request)
            return answer
        request.rows += messages.returned_rows(payload)
        self._end_execution(request)
        return outcome

    def _on_execution_end(self, payload: bytes) -> Outcome:
        if (request := self._head()) is not None:
            self._end_execution(request)
        return FORWARD

    def _on_error_response(self, payload: bytes) -> Outcome:
        request = self._head()
        if request is None:
            return FORWARD
        if self.state is COPY_FROM_S3:
            self.upstream.hold()
            self._spawn(self._finish_failed_load(request, messages.error_fields(payload)))
            return AGAIN
        if self.state is UNLOAD_TO_S3:
            self.upstream.hold()
            self._spawn(self._abort_unload(request))
            return AGAIN
        request.error = messages.error_fields(payload)
        outcome: Outcome = FORWARD
        if request.replacement is None and request.error.get("C") in EXPLAINED_SQLSTATES:
            # E.g. PostgreSQL's hint to add explicit type casts, which would send a learner the wrong way.
            request.replacement = explained_error(request.error)
        if request.replacement is not None:
            outcome = messages.error_response(request.replacement)
            request.error = {"C": request.replacement.sqlstate, "M": request.replacement.message}
        if request.kind in (PARSE, EXECUTE):
            # Extended protocol: upstream skips everything up to the next Sync.
            self._conclude(self.requests.popleft())
            while self.requests and self.requests[0].kind in (PARSE, EXECUTE):
                self._release_client_of(self.requests.popleft())
        return outcome

    def _on_ready_for_query(self, payload: bytes) -> Outcome:
        if self.state is AUTHENTICATING:
            # Consumed here, so that no ReadyForQuery but the hidden query's own reaches its handlers.
            self.client.hold()
            self._spawn(self._set_up_session(payload))
            return DROP
        if self.requests and self.requests[0].aborts_upstream:
            # The client gets its ReadyForQuery once upstream's transaction has failed too.
            self._spawn(self._abort_upstream_transaction())
            return DROP
        while self.requests:
            request = self.requests.popleft()
            self._conclude(request)
            if request.kind in (QUERY, SYNC):
                break
        return FORWARD

    def _head(self) -> Request | None:
        return self.requests[0] if self.requests else None

    def _end_execution(self, request: Request) -> None:
        """An Execute's statement finished (a Query's finishes at ReadyForQuery)."""
        if request.kind is EXECUTE:
            self._conclude(self.requests.popleft())

    def _conclude(self, request: Request) -> None:
        self._release_client_of(request)
        if request.kind is SYNC or (request.kind is PARSE and request.error is None):
            return
        if not request.started:
            request.start()
        error = request.error
        status = "success" if error is None else "canceled" if error.get("C") == "57014" else "failed"
        elapsed = int((time.perf_counter() - request.clock) * 1_000_000)
        self.system.record(
            (
                request.query_id,
                self.backend_pid,
                self.user,
                self.database,
                request.text,
                status,
                request.started,
                request.started + elapsed,  # the end, without reading the clock once more
                elapsed,
                request.rows,
                None if error is None else error.get("M"),
            )
        )

    def _release_client_of(self, request: Request) -> None:
        if request.holds_client:
            request.holds_client = False
            self.client.release()

    # --- COPY from S3 ---------------------------------------------------------------------------------

    def _next_action(self) -> tuple[Request | None, CopyFromS3 | UnloadToS3 | None]:
        """The statement upstream just started a COPY for, and that COPY's S3 action (None: the client's
        own COPY FROM STDIN / TO STDOUT)."""
        request = self._head()
        return request, (request.actions.popleft() if request is not None and request.actions else None)

    def _on_copy_in_response(self, payload: bytes) -> Outcome:
        request, action = self._next_action()
        if not isinstance(action, CopyFromS3):
            return FORWARD  # the client's own COPY FROM STDIN
        self.state = COPY_FROM_S3
        request.copy = action
        request.feeder = self._spawn(self._feed(request, action))
        return DROP

    async def _feed(self, request: Request, spec: CopyFromS3) -> None:
        """Stream the S3 objects into upstream's COPY FROM STDIN, reading the next chunk in a worker
        thread while the current one is written, so the event loop keeps serving other clients."""
        from emulators.redshift.load.s3 import S3Load

        try:
            request.load = load = await self._blocking(S3Load, spec, self.s3_endpoint)
            columns = (request.columns or {}).get(spec)
            if needs_row_conversion(spec, columns or []):
                if not columns:
                    raise RedshiftError(
                        f"the Redshift emulator could not read the columns of {spec.target} before loading "
                        "it; create the table in a statement of its own, before the COPY"
                    )
                load.convert_rows(columns)
            await self._blocking(load.open)
            chunks = load.chunks()
            upcoming = asyncio.ensure_future(self._blocking(next, chunks, None))
            try:
                while (chunk := await upcoming) is not None and not request.upstream_failed:
                    upcoming = asyncio.ensure_future(self._blocking(next, chunks, None))
                    self.upstream.write(messages.copy_data(chunk))
                    await self.upstream.drain()
            finally:
                if not upcoming.done():
                    await asyncio.wait([upcoming])
                chunks.close()
            if not request.upstream_failed:
                self.upstream.write(messages.copy_done())
        except RedshiftError as error:
            request.replacement = error
            self.upstream.write(messages.copy_fail(error.message))
        # In the extended protocol upstream keeps its answer until a Flush or Sync, and the client's
        # own Flush is held back until the COPY is over.
        self.upstream.write(messages.flush())

    async def _finish_failed_load(self, request: Request, fields: dict[str, str]) -> None:
        """Upstream refused the COPY: record why in stl_load_errors (committed outside the client's
        transaction) and give the client Redshift's error in place of PostgreSQL's."""
        request.upstream_failed = True
        if request.feeder is not None:
            await asyncio.wait([request.feeder])
        rows = list(request.load.rejected) if request.load is not None else []
        if request.replacement is None and is_data_error(fields):
            try:
                row, request.replacement = await self._blocking(request.load.load_error, fields)
            except RedshiftError as error:
                request.replacement = error
            else:
                rows.append(row)
        await self._record_load_errors(request, rows)
        self.state = READY
        self.upstream.release()

    async def _record_rejected_then_release(self, request: Request) -> None:
        await self._record_load_errors(request, request.load.rejected)
        request.rejections_recorded = True
        self.upstream.release()

    async def _record_load_errors(self, request: Request, rows: list[LoadErrorRow]) -> None:
        if not rows:
            return
        context = LoadContext(
            database=self.database,
            user_name=self.user,
            target=request.copy.target,
            start_time=request.started,
            session_id=self.backend_pid,
            query_id=request.query_id,
        )
        await self.system.record_load_errors(context, rows)

    # --- UNLOAD to S3 ---------------------------------------------------------------------------------

    def _on_copy_out_response(self, payload: bytes) -> Outcome:
        request, action = self._next_action()
        if not isinstance(action, UnloadToS3):
            return FORWARD  # the client's own COPY TO STDOUT
        self.state = UNLOAD_TO_S3
        request.unloading = True
        request.unload_batch = []
        self.upstream.hold()
        self._spawn(self._start_unload(request, action))
        return DROP

    async def _start_unload(self, request: Request, spec: UnloadToS3) -> None:
        from emulators.redshift.unload.writer import S3Unload

        try:
            request.unload = await self._blocking(S3Unload, spec, self.s3_endpoint)
            await self._blocking(request.unload.start)
        except RedshiftError as error:
            request.replacement = error
        self.upstream.release()

    def _on_copy_out_data(self, payload: bytes) -> Outcome:
        if self.state is not UNLOAD_TO_S3:
            return FORWARD
        request = self._head()
        if request.replacement is None:
            # One CopyData message of COPY TO STDOUT is always one row (protocol-flow.html, Copy-out
            # mode): the unloader never sees a row cut in two.
            request.unload_batch.append(payload)
            request.unload_batch_bytes += len(payload)
            if request.unload_batch_bytes >= UNLOAD_BATCH_BYTES:
                self.upstream.hold()
                self._spawn(self._write_unload_batch(request, release=True))
        return DROP

    def _on_copy_out_done(self, payload: bytes) -> Outcome:
        return DROP if self.state is UNLOAD_TO_S3 else FORWARD

    async def _write_unload_batch(self, request: Request, release: bool) -> None:
        batch, request.unload_batch, request.unload_batch_bytes = request.unload_batch, [], 0
        try:
            await self._blocking(request.unload.write, batch)
        except RedshiftError as error:
            request.replacement = error
        if release:
            self.upstream.release()

    async def _finish_unload(self, request: Request) -> None:
        if request.replacement is None:
            await self._write_unload_batch(request, release=False)
        if request.replacement is None:
            try:
                await self._blocking(request.unload.finish)
            except RedshiftError as error:
                request.replacement = error
        if request.replacement is not None:
            # Upstream's COPY TO STDOUT succeeded; the client still sees the UNLOAD fail.
            if request.unload is not None:
                await self._blocking(request.unload.abort)
            # A Query's only: the client's Execute gets the error, but its implicit transaction or open block
            # upstream stays usable (a Parse that fails would be needed before its held Sync).
            request.aborts_upstream = request.kind is QUERY
        self.state = READY
        self.upstream.release()

    async def _abort_upstream_transaction(self) -> None:
        """Leave upstream's transaction as Redshift's failed UNLOAD leaves it: aborted, if in a block.

        Upstream has answered the client's Query; its ReadyForQuery went no further, its status being the one
        before the failure. REFUSED_SQL then fails upstream, out of the client's sight, and the client's Query
        ends with the status upstream is left in: the aborted block's ('I' outside a block). The client stays
        held until then, so nothing of its own reaches upstream in between.
        """
        _, status = await self._hidden_query(REFUSED_SQL)
        self.client.write(messages.frame(Backend.READY_FOR_QUERY, status))
        self._conclude(self.requests.popleft())

    async def _abort_unload(self, request: Request) -> None:
        request.unloading = False
        if request.unload is not None:
            await self._blocking(request.unload.abort)
        self.state = READY
        self.upstream.release()


def is_data_error(fields: dict[str, str]) -> bool:
    """An error about the data being loaded (bad value, wrong column count, NOT NULL...), as opposed to a
    cancel or a lost connection: only those go to stl_load_errors, as on Redshift."""
    sqlstate = fields.get("C", "")
    return sqlstate[:2] in ("22", "23") or (sqlstate != "57014" and "COPY " in fields.get("W", ""))
