"""The statements the Data API has accepted: each runs in a thread of its own, as a client of the
emulator's own PostgreSQL endpoint (so its SQL gets the very rewriting of the wire path), and its state,
error and result stay here for DescribeStatement, GetStatementResult and ListStatements."""

from __future__ import annotations

import datetime
import re
import threading
import time
from dataclasses import dataclass, field

import psycopg
from psycopg.postgres import types as pg_types

from emulators.redshift.data_api import protocol
from emulators.redshift.data_api.sessions import Session, Sessions

ACTIVE = ("SUBMITTED", "PICKED", "STARTED")
MAX_ACTIVE = 500  # the Data API's quota of active statements per cluster
KEEP_SECONDS = 24 * 3600  # results are kept 24 hours
MAX_ROW_BYTES = 64 * 1024  # "The Data API size limit is 64 KB per row in the result set"
MAX_RESULT_BYTES = (
    500 * 1024 * 1024
)  # "The Data API limit is 500 MB in the result set" (data-api-troubleshooting)
PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class ResultTooLarge(Exception):
    """A result beyond the Data API's limits: the statement fails with the Data API's words."""


@dataclass
class Part:
    """One SQL statement: the whole of ExecuteStatement, or one of a batch's SubStatements."""

    id: str
    sql: str
    status: str = "SUBMITTED"
    error: str | None = None
    created: datetime.datetime = field(default_factory=protocol.now)
    updated: datetime.datetime = field(default_factory=protocol.now)
    started_ns: int = 0
    duration_ns: int = -1
    columns: list[dict] | None = None  # ColumnMetadata; None: no result set
    records: list[list[dict]] = field(default_factory=list)
    result_rows: int = -1
    result_size: int = -1

    def set(self, status: str, error: str | None = None) -> None:
        self.status, self.updated = status, protocol.now()
        if status == "STARTED":
            self.started_ns = time.monotonic_ns()
        elif status in ("FINISHED", "FAILED", "ABORTED") and self.started_ns:
            self.duration_ns = time.monotonic_ns() - self.started_ns
        if error is not None:
            self.error = error


@dataclass
class Statement:
    id: str
    parts: list[Part]
    database: str
    request: dict  # the Execute/BatchExecute request's members, echoed by Describe and List
    is_batch: bool
    parameters: list[dict]
    created: datetime.datetime = field(default_factory=protocol.now)
    cancelled: bool = False
    connection: psycopg.Connection | None = None
    session: Session | None = None  # the session it runs in: its connection, kept after the statement

    @property
    def status(self) -> str:
        if not self.is_batch:
            return self.parts[0].status
        statuses = [part.status for part in self.parts]
        for final in ("ABORTED", "FAILED"):
            if final in statuses:
                return final
        if all(status == "FINISHED" for status in statuses):
            return "FINISHED"
        return "STARTED" if any(s != "SUBMITTED" for s in statuses) else "SUBMITTED"

    @property
    def updated(self) -> datetime.datetime:
        return max(part.updated for part in self.parts)

    @property
    def error(self) -> str | None:
        return next((part.error for part in self.parts if part.error), None)


def bind(sql: str, parameters: list[dict]) -> str:
    """The Data API's named parameters (:name) as SQL string literals; Redshift casts them by context."""
    values = {p["name"]: p["value"] for p in parameters}
    missing = set(PARAMETER.findall(sql)) - set(values)
    if missing and parameters:
        raise protocol.validation(f"no value for the parameter(s) {', '.join(sorted(missing))}")

    def literal(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        return "'" + values[name].replace("'", "''") + "'"

    return PARAMETER.sub(literal, sql) if parameters else sql


class Store:
    """Every statement of this process, by Id; at most MAX_ACTIVE running at once."""

    def __init__(self, connect: dict, page_bytes: int) -> None:
        self.connect = connect  # host, port, user, password of the emulator's own endpoint
        self.page_bytes = page_bytes
        self.statements: dict[str, Statement] = {}
        self.lock = threading.Lock()
        self.sessions = Sessions()

    def submit(self, statement: Statement) -> Statement:
        with self.lock:
            self._forget_old()
            active = sum(1 for s in self.statements.values() if s.status in ACTIVE)
            if active >= MAX_ACTIVE:
                raise protocol.DataApiError(
                    "ActiveStatementsExceededException", f"more than {MAX_ACTIVE} active statements"
                )
            self.statements[statement.id] = statement
        threading.Thread(target=self._run, args=(statement,), name=f"data-api {statement.id}").start()
        return statement

    def get(self, statement_id: str) -> tuple[Statement, Part | None]:
        """A statement by its Id, or one of a batch's parts by "<Id>:<n>"."""
        base, _, number = statement_id.partition(":")
        statement = self.statements.get(base)
        if statement is None or (
            number and not (number.isdigit() and 0 < int(number) <= len(statement.parts))
        ):
            raise protocol.not_found(statement_id)
        return statement, statement.parts[int(number) - 1] if number else None

    def cancel(self, statement: Statement) -> None:
        if statement.status not in ACTIVE:
            raise protocol.validation(f"Could not cancel a query that is already in {statement.status} state")
        statement.cancelled = True
        connection = statement.connection
        if connection is not None:
            connection.cancel_safe()

    def _forget_old(self) -> None:
        horizon = protocol.now() - datetime.timedelta(seconds=KEEP_SECONDS)
        for key in [k for k, s in self.statements.items() if s.created < horizon and s.status not in ACTIVE]:
            del self.statements[key]

    def _run(self, statement: Statement) -> None:
        for part in statement.parts:
            part.set("PICKED")
        session = statement.session
        connection = session.connection if session is not None else None
        if connection is None:
            try:
                connection = psycopg.connect(**self.connect, dbname=statement.database, autocommit=True)
            except psycopg.Error as error:
                for part in statement.parts:
                    part.set("FAILED", _message(error))
                if session is not None:
                    self.sessions.release(session)
                return
            if session is not None:
                session.connection = connection
        statement.connection = connection
        try:
            if statement.is_batch:  # one transaction: one part fails, the transaction rolls back
                with connection.transaction():
                    self._run_parts(statement, connection)
            else:
                self._run_parts(statement, connection)
        except (psycopg.Error, ResultTooLarge):
            pass  # the parts already carry the error
        finally:
            statement.connection = None
            if session is None:
                connection.close()
            else:  # the session keeps its connection for the next statement
                self.sessions.release(session)

    def _run_parts(self, statement: Statement, connection: psycopg.Connection) -> None:
        for index, part in enumerate(statement.parts):
            if statement.cancelled:
                part.set("ABORTED")
                continue
            part.set("STARTED")
            try:
                with connection.cursor() as cursor:
                    cursor.execute(bind(part.sql, statement.parameters).encode())
                    self._keep_result(part, cursor)
            except (psycopg.Error, ResultTooLarge) as error:
                aborted = statement.cancelled and isinstance(error, psycopg.errors.QueryCanceled)
                part.set("ABORTED" if aborted else "FAILED", None if aborted else _message(error))
                for later in statement.parts[index + 1 :]:
                    later.set("ABORTED")
                raise
            part.set("ABORTED" if statement.cancelled else "FINISHED")

    def _keep_result(self, part: Part, cursor: psycopg.Cursor) -> None:
        if cursor.description is None:
            part.result_rows = max(cursor.rowcount, 0)
            return
        names = [_type_name(column.type_code) for column in cursor.description]
        part.columns = [
            protocol.column_metadata(
                column.name, type_name, column.precision or 0, column.scale or 0, nullable=True
            )
            for column, type_name in zip(cursor.description, names, strict=True)
        ]
        total = 0
        for row in cursor:
            fields = [protocol.field(value, name) for value, name in zip(row, names, strict=True)]
            size = sum(protocol.field_size(item) for item in fields)
            if size > MAX_ROW_BYTES:
                raise ResultTooLarge("Packet for query is too large: a row of the result is over 64 KB")
            total += size
            if total > MAX_RESULT_BYTES:
                raise ResultTooLarge("Database response exceeded size limit: the result is over 500 MB")
            part.records.append(fields)
        part.result_rows = len(part.records)
        part.result_size = total


def _type_name(oid: int) -> str:
    info = pg_types.get(oid)
    return info.name if info is not None else "varchar"


def _message(error: Exception) -> str:
    """Redshift's words, as the Data API puts them in Error: "ERROR: <message>"."""
    if isinstance(error, ResultTooLarge):
        return str(error)
    diagnostic = getattr(error, "diag", None)
    primary = diagnostic.message_primary if diagnostic is not None else None
    return f"ERROR: {primary or str(error).strip()}"
