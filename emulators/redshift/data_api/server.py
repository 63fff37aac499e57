"""The Data API's HTTP listener (a thread of the emulator's process) and its operations.

Any SigV4-signed request is accepted: the keys are the lab's, and the Authorization header is never
logged. Statements reach the warehouse through the emulator's own PostgreSQL endpoint.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from emulators.redshift.data_api import protocol, sessions
from emulators.redshift.data_api.metadata import CatalogOperations
from emulators.redshift.data_api.statements import Part, Statement, Store

log = logging.getLogger(__name__)
PAGE_BYTES = 100 * 1024 * 1024  # GetStatementResult answers at most about 100 MB of records a call
MAX_BATCH = 40  # BatchExecuteStatement's Sqls: 1 to 40 statements
LIST_LIMIT = 100  # ListStatements' and ListSessions' MaxResults: 0 to 100
SESSION_CHOSEN = ("ClusterIdentifier", "WorkgroupName", "Database", "DbUser", "SecretArn")
RESULT_FORMATS = ("JSON", "CSV")  # ExecuteStatement's ResultFormat; CSV is read by GetStatementResultV2


def _require(body: dict, name: str, kind: type = str):
    value = body.get(name)
    if value is None or (kind is str and not value):
        raise protocol.validation(f"{name} is required")
    if not isinstance(value, kind):
        raise protocol.validation(f"{name} must be a {kind.__name__}")
    return value


def _result_format(body: dict) -> str:
    chosen = body.get("ResultFormat") or "JSON"
    if chosen not in RESULT_FORMATS:
        raise protocol.validation(f"ResultFormat must be one of {', '.join(RESULT_FORMATS)}")
    return chosen


def _parameters(body: dict) -> list[dict]:
    parameters = body.get("Parameters") or []
    if not isinstance(parameters, list) or not all(
        isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("value"), str)
        for p in parameters
    ):
        raise protocol.validation("Parameters must be a list of {name, value} strings")
    return parameters


class Operations(CatalogOperations):
    def __init__(self, store: Store, default_database: str) -> None:
        self.store = store
        self.default_database = default_database

    def ExecuteStatement(self, body: dict) -> dict:  # AWS operation names
        return self._submit(body, [_require(body, "Sql")], is_batch=False)

    def BatchExecuteStatement(self, body: dict) -> dict:
        sqls = _require(body, "Sqls", list)
        if not 1 <= len(sqls) <= MAX_BATCH or not all(isinstance(s, str) and s for s in sqls):
            raise protocol.validation(f"Sqls must hold 1 to {MAX_BATCH} SQL statements")
        return self._submit(body, sqls, is_batch=True)

    def _submit(self, body: dict, sqls: list[str], is_batch: bool) -> dict:
        statement_id = protocol.new_statement_id()
        session, opened = self._session(body, statement_id)
        if session is not None and not opened:  # the session chose the database and the login
            request, database = dict(session.request), session.database
        else:
            request, database = protocol.target(body), body.get("Database") or self.default_database
        if body.get("StatementName"):
            request["StatementName"] = body["StatementName"]
        request["ResultFormat"] = _result_format(body)
        parts = [
            Part(f"{statement_id}:{n}" if is_batch else statement_id, sql) for n, sql in enumerate(sqls, 1)
        ]
        parameters = [] if is_batch else _parameters(body)
        statement = Statement(statement_id, parts, database, request, is_batch, parameters, session=session)
        try:
            self.store.submit(statement)
        except protocol.DataApiError:
            if session is not None:
                self.store.sessions.unclaim(session, opened)
            raise
        answer = {"Id": statement_id, "CreatedAt": statement.created, "Database": database}
        if session is not None:
            answer["SessionId"] = session.id
        return answer | {k: v for k, v in request.items() if k not in ("StatementName", "ResultFormat")}

    def _session(self, body: dict, statement_id: str):
        """(the session the statement runs in, whether it opens it now), or (None, False) for none."""
        keep_alive = sessions.keep_alive_of(body)
        session_id = body.get("SessionId")
        if session_id:
            chosen = [k for k in SESSION_CHOSEN if body.get(k)]
            if chosen:
                raise protocol.validation(
                    f"SessionId cannot be combined with {', '.join(chosen)}: the session's own are used"
                )
            return self.store.sessions.claim(session_id, statement_id, keep_alive), False
        if keep_alive is None:
            return None, False
        database = body.get("Database") or self.default_database
        return self.store.sessions.open(database, protocol.target(body), keep_alive, statement_id), True

    def ListSessions(self, body: dict) -> dict:
        sessions_page, more = protocol.page(body, self.store.sessions.listed(body), LIST_LIMIT)
        return {"Sessions": [s.data() for s in sessions_page]} | more

    def DescribeStatement(self, body: dict) -> dict:
        statement, part = self.store.get(_require(body, "Id"))
        if part is not None:
            return self._describe_part(part)
        answer = {
            "Id": statement.id,
            "Database": statement.database,
            "Status": statement.status,
            "CreatedAt": statement.created,
            "UpdatedAt": statement.updated,
            "Duration": sum(max(p.duration_ns, 0) for p in statement.parts),
            "HasResultSet": any(p.columns is not None for p in statement.parts),
            "ResultRows": sum(max(p.result_rows, 0) for p in statement.parts),
            "ResultSize": sum(max(p.result_size, 0) for p in statement.parts),
            "RedshiftPid": 0,
            "RedshiftQueryId": 0,
        } | {k: v for k, v in statement.request.items() if k != "StatementName"}
        if statement.error:
            answer["Error"] = statement.error
        if statement.session is not None:
            answer["SessionId"] = statement.session.id
        if statement.is_batch:
            answer["QueryString"] = ""
            answer["SubStatements"] = [self._describe_part(p) for p in statement.parts]
        else:
            answer["QueryString"] = statement.parts[0].sql
            if statement.parameters:
                answer["QueryParameters"] = statement.parameters
        return answer

    @staticmethod
    def _describe_part(part: Part) -> dict:
        answer = {
            "Id": part.id,
            "Status": part.status,
            "CreatedAt": part.created,
            "UpdatedAt": part.updated,
            "Duration": part.duration_ns,
            "QueryString": part.sql,
            "HasResultSet": part.columns is not None,
            "ResultRows": part.result_rows,
            "ResultSize": part.result_size,
            "RedshiftQueryId": 0,
        }
        if part.error:
            answer["Error"] = part.error
        return answer

    def GetStatementResult(self, body: dict) -> dict:
        """The result as typed fields, for a statement run with ResultFormat JSON (the default)."""
        part, start, end = self._result_page(body, "JSON")
        answer = {
            "Records": part.records[start:end],
            "ColumnMetadata": part.columns,
            "TotalNumRows": len(part.records),
        }
        return answer | self._next_token(part, end)

    def GetStatementResultV2(self, body: dict) -> dict:
        """The result as CSV text (API_GetStatementResultV2.html), for a statement run with ResultFormat
        CSV: the first page starts with the column names."""
        part, start, end = self._result_page(body, "CSV")
        header = [column["name"] for column in part.columns] if start == 0 else None
        answer = {
            "Records": [{"CSVRecords": protocol.csv_text(header, part.records[start:end])}],
            "ColumnMetadata": part.columns,
            "TotalNumRows": len(part.records),
            "ResultFormat": "CSV",
        }
        return answer | self._next_token(part, end)

    def _result_page(self, body: dict, result_format: str) -> tuple[Part, int, int]:
        statement_id = _require(body, "Id")
        statement, part = self.store.get(statement_id)
        if part is None:
            if statement.is_batch:
                raise protocol.validation("a batch's results are fetched by its sub-statement's Id")
            part = statement.parts[0]
        if part.status != "FINISHED":
            raise protocol.validation(f"Query does not have result. Query status is {part.status}.")
        if part.columns is None:
            raise protocol.not_found(statement_id)
        chosen = statement.request["ResultFormat"]
        if chosen != result_format:
            reader = "GetStatementResultV2" if chosen == "CSV" else "GetStatementResult"
            raise protocol.validation(f"The statement ran with ResultFormat {chosen}: read it with {reader}")
        start = protocol.page_start(body.get("NextToken"), len(part.records))
        end, size = start, 0
        while end < len(part.records) and (end == start or size < self.store.page_bytes):
            size += sum(protocol.field_size(item) for item in part.records[end])
            end += 1
        return part, start, end

    @staticmethod
    def _next_token(part: Part, end: int) -> dict:
        return {"NextToken": protocol.page_token(end)} if end < len(part.records) else {}

    def ListStatements(self, body: dict) -> dict:
        status = body.get("Status") or "ALL"
        prefix = body.get("StatementName") or ""
        chosen = [
            s
            for s in sorted(self.store.statements.values(), key=lambda s: s.created, reverse=True)
            if (status == "ALL" or s.status == status)
            and s.request.get("StatementName", "").startswith(prefix)
            and all(
                s.request.get(k) == body[k] for k in ("ClusterIdentifier", "WorkgroupName") if body.get(k)
            )
            and (not body.get("Database") or s.database == body["Database"])
        ]
        statements_page, more = protocol.page(body, chosen, LIST_LIMIT)
        return {"Statements": [self._summary(s) for s in statements_page]} | more

    @staticmethod
    def _summary(statement: Statement) -> dict:
        summary = {
            "Id": statement.id,
            "Status": statement.status,
            "CreatedAt": statement.created,
            "UpdatedAt": statement.updated,
            "IsBatchStatement": statement.is_batch,
            "ResultFormat": statement.request["ResultFormat"],
        }
        if statement.is_batch:
            summary["QueryStrings"] = [p.sql for p in statement.parts]
        else:
            summary["QueryString"] = statement.parts[0].sql
        if "StatementName" in statement.request:
            summary["StatementName"] = statement.request["StatementName"]
        if "SecretArn" in statement.request:
            summary["SecretArn"] = statement.request["SecretArn"]
        if statement.session is not None:
            summary["SessionId"] = statement.session.id
        return summary

    def CancelStatement(self, body: dict) -> dict:
        statement, _ = self.store.get(_require(body, "Id"))
        self.store.cancel(statement)
        return {"Status": True}


def make_handler(operations: Operations) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                name = protocol.operation_of(self.headers.get("X-Amz-Target"))
                method = getattr(operations, name, None)
                if method is None or name.startswith("_"):
                    raise protocol.DataApiError("UnknownOperationException", f"{name} is not served here")
                status, payload = 200, protocol.encode(method(protocol.parse_body(raw)))
            except protocol.DataApiError as error:
                status, payload = error.status, error.body()
                self.log_message("%s: %s", error.code, error.message)
            except Exception as error:  # the client gets a fault, the log the traceback
                log.exception("data api: internal error")
                status, payload = 500, protocol.DataApiError("InternalServerException", str(error)).body()
            self.send_response(status)
            self.send_header("Content-Type", protocol.CONTENT_TYPE)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-amzn-RequestId", protocol.new_statement_id())
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # a health probe: `lab status` asks GET /ping
            payload = b'{"status": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args) -> None:  # the request line only, never the headers
            log.info("data api %s: " + format, self.address_string(), *args)

    return Handler


def start(
    host: str, port: int, connect: dict, database: str, page_bytes: int = PAGE_BYTES
) -> ThreadingHTTPServer:
    """Serve the Data API on host:port in a daemon thread; `connect` reaches the emulator's own endpoint."""
    operations = Operations(Store(connect, page_bytes), database)
    server = ThreadingHTTPServer((host, port), make_handler(operations))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="data-api", daemon=True).start()
    return server
