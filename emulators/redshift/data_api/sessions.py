"""The Data API's sessions: ExecuteStatement or BatchExecuteStatement with SessionKeepAliveSeconds opens one,
its SessionId runs later statements on the same connection (temporary tables and SET survive), one at a
time, and it closes once it has been idle for its keep-alive seconds, or 24 hours after it opened
(API_ExecuteStatement.html: SessionKeepAliveSeconds, SessionId; API_SessionData.html: AVAILABLE, BUSY,
CLOSED; API_ListSessions.html)."""

from __future__ import annotations

import datetime
import threading
from dataclasses import dataclass, field

import psycopg

from emulators.redshift.data_api import protocol

MAX_KEEP_ALIVE = 24 * 3600  # SessionAliveSeconds: 0 to 86400; "After 24 hours, the session is forced closed"
MAX_SESSIONS = 500  # the Data API's quota of sessions per cluster or workgroup
KEEP_CLOSED_SECONDS = 24 * 3600  # ListSessions: "the sessions that the caller created in the last 24 hours"
TARGETS = ("ClusterIdentifier", "WorkgroupName")
REAP_SECONDS = 0.25  # how often idle sessions are looked at: the precision of the keep-alive


@dataclass
class Session:
    id: str
    database: str
    request: dict  # ClusterIdentifier / WorkgroupName / DbUser / SecretArn of the statement that opened it
    keep_alive: int
    status: str = "BUSY"  # opened by the statement it runs first
    current_statement: str | None = None
    connection: psycopg.Connection | None = None  # opened by its first statement's thread, kept after
    created: datetime.datetime = field(default_factory=protocol.now)
    updated: datetime.datetime = field(default_factory=protocol.now)

    @property
    def expires(self) -> datetime.datetime:
        """SessionTtl: idle keep-alive seconds after its last statement, never past 24 hours."""
        forced = self.created + datetime.timedelta(seconds=MAX_KEEP_ALIVE)
        if self.status == "BUSY":
            return forced
        return min(self.updated + datetime.timedelta(seconds=self.keep_alive), forced)

    def data(self) -> dict:
        """The SessionData shape of ListSessions."""
        answer = {
            "SessionId": self.id,
            "Status": self.status,
            "CreatedAt": self.created,
            "UpdatedAt": self.updated,
            "Database": self.database,
            "SessionAliveSeconds": self.keep_alive,
            "SessionTtl": self.expires,
        } | {k: v for k, v in self.request.items() if k in ("ClusterIdentifier", "WorkgroupName", "DbUser")}
        if self.status == "BUSY" and self.current_statement:
            answer["CurrentStatementId"] = self.current_statement
        return answer


def keep_alive_of(body: dict) -> int | None:
    seconds = body.get("SessionKeepAliveSeconds")
    if seconds is None:
        return None
    if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds <= MAX_KEEP_ALIVE:
        raise protocol.validation(f"SessionKeepAliveSeconds must be between 0 and {MAX_KEEP_ALIVE}")
    return seconds


class Sessions:
    """Every session of this process, by SessionId; a reaper thread closes the idle and the too old."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        threading.Thread(target=self._reap, name="data-api sessions", daemon=True).start()

    def open(self, database: str, request: dict, keep_alive: int, statement_id: str) -> Session:
        with self.lock:
            if sum(1 for s in self.sessions.values() if s.status != "CLOSED") >= MAX_SESSIONS:
                raise protocol.DataApiError(
                    "ActiveSessionsExceededException", f"more than {MAX_SESSIONS} active sessions"
                )
            session = Session(protocol.new_statement_id(), database, request, keep_alive)
            session.current_statement = statement_id
            self.sessions[session.id] = session
            return session

    def claim(self, session_id: str, statement_id: str, keep_alive: int | None) -> Session:
        """The session a statement names, now BUSY with it; no queue: a busy session refuses the statement."""
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise protocol.validation(f"Session with Id: {session_id} is invalid")
            if session.status == "CLOSED":
                raise protocol.validation(f"Session is not available: {session_id} is closed")
            if session.status == "BUSY":
                raise protocol.validation(
                    f"Session {session_id} is busy running statement {session.current_statement}:"
                    " a session runs one statement at a time"
                )
            session.status, session.current_statement, session.updated = "BUSY", statement_id, protocol.now()
            if keep_alive is not None:
                session.keep_alive = keep_alive
            return session

    def release(self, session: Session) -> None:
        """Its statement is over: AVAILABLE again, its idle time starts; a broken connection closes it."""
        with self.lock:
            connection = session.connection
            if session.status == "CLOSED" or connection is None or connection.closed or connection.broken:
                self._close(session)
                return
            session.status, session.current_statement, session.updated = "AVAILABLE", None, protocol.now()

    def unclaim(self, session: Session, opened: bool) -> None:
        """A statement refused before it ran: the session it opened goes, the one it claimed stays."""
        with self.lock:
            if opened:
                del self.sessions[session.id]
            else:
                session.status, session.current_statement = "AVAILABLE", None

    def listed(self, body: dict) -> list[Session]:
        """ListSessions' choice: one SessionId, or by Status (default AVAILABLE, BUSY), target, Database."""
        session_id = body.get("SessionId")
        if session_id:
            if any(body.get(k) for k in ("Status", "ClusterIdentifier", "WorkgroupName", "Database")):
                raise protocol.validation(
                    "SessionId cannot be combined with Status, ClusterIdentifier, WorkgroupName or Database"
                )
            if session_id not in self.sessions:
                raise protocol.not_found(session_id)
            return [self.sessions[session_id]]
        if body.get("ClusterIdentifier") and body.get("WorkgroupName"):
            raise protocol.validation("Only one of ClusterIdentifier or WorkgroupName can be specified")
        statuses = [body["Status"]] if body.get("Status") else ["AVAILABLE", "BUSY"]
        return sorted(
            (
                s
                for s in list(self.sessions.values())
                if s.status in statuses
                and all(s.request.get(k) == body[k] for k in TARGETS if body.get(k))
                and (not body.get("Database") or s.database == body["Database"])
            ),
            key=lambda s: s.created,
            reverse=True,
        )

    def close_all(self) -> None:
        self.stopped.set()
        with self.lock:
            for session in self.sessions.values():
                self._close(session)

    def _close(self, session: Session) -> None:
        """Called with the lock held."""
        if session.status == "BUSY" and session.connection is not None:
            session.connection.cancel_safe()  # the 24 hours are up: "the query is terminated"
            return  # its statement's thread releases it, and release() closes it
        session.status, session.current_statement, session.updated = "CLOSED", None, protocol.now()
        connection, session.connection = session.connection, None
        if connection is not None:
            connection.close()

    def _reap(self) -> None:
        while not self.stopped.wait(REAP_SECONDS):
            moment = protocol.now()
            horizon = moment - datetime.timedelta(seconds=KEEP_CLOSED_SECONDS)
            with self.lock:
                for key, session in list(self.sessions.items()):
                    if session.status == "CLOSED":
                        if session.updated < horizon:
                            del self.sessions[key]
                    elif session.expires <= moment:
                        self._close(session)
