"""Password logins through the emulator. It hands the client's user and database to PostgreSQL and passes
the authentication messages both ways, so PostgreSQL checks the password, SCRAM-SHA-256 or md5, exactly
as Redshift checks its users' passwords (stored as plain text, an MD5 or a SHA-256 hash:
https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_USER.html).

The machine's PostgreSQL trusts every login, so these tests run a throwaway cluster that asks for
passwords: SCRAM-SHA-256 for one role, md5 for another, and SCRAM for the emulator's own bookkeeping login.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import NamedTuple

import psycopg
import psycopg2
import pytest
import redshift_connector
from scramp.utils import ScramException

from lab import processes
from lab.config import DatabaseUrl
from tests.emulator.wire_helpers import psycopg2_connect, psycopg_connect, redshift_connect
from tests.services import CLUSTER_SUPERUSER, PostgresCluster, throwaway_postgres_cluster

DATABASE = "dev"


@dataclass(frozen=True)
class Login:
    """A role of the throwaway cluster and the pg_hba.conf method that checks its password."""

    method: str
    user: str
    password: str

    @property
    def hba_rule(self) -> str:
        return f"host all {self.user} 127.0.0.1/32 {self.method}"


SCRAM = Login("scram-sha-256", "lab_scram_user", f"scram-pw-{secrets.token_hex(8)}")
MD5 = Login("md5", "lab_md5_user", f"md5-pw-{secrets.token_hex(8)}")
BOOKKEEPING = Login("scram-sha-256", CLUSTER_SUPERUSER, f"bookkeeping-pw-{secrets.token_hex(8)}")
WRONG_PASSWORD = f"wrong-pw-{secrets.token_hex(8)}"
CLIENTS = {"redshift_connector": redshift_connect, "psycopg2": psycopg2_connect, "psycopg": psycopg_connect}
# What each client raises when the server refuses the login.
LOGIN_REFUSED = (redshift_connector.Error, psycopg2.OperationalError, psycopg.OperationalError)


def client_logins() -> list:
    """(connect, login) for every client and role."""
    return [
        pytest.param(connect, login, id=f"{name}-{login.method}")
        for name, connect in CLIENTS.items()
        for login in (SCRAM, MD5)
    ]


class Endpoint(NamedTuple):
    """Where a client connects and as whom: what the wire helpers' connect functions read."""

    host: str
    port: int
    user: str
    password: str
    database: str


@dataclass(frozen=True)
class AuthEmulator:
    """The emulator on ``port`` in front of ``cluster``."""

    port: int
    process: processes.ManagedProcess
    cluster: PostgresCluster

    def endpoint(self, login: Login, password: str | None = None) -> Endpoint:
        return Endpoint("127.0.0.1", self.port, login.user, password or login.password, DATABASE)

    def log(self) -> str:
        return self.process.log_path.read_text(errors="replace")

    def authenticated(self, login: Login) -> int:
        """How many logins of ``login`` PostgreSQL has accepted with its method (log_connections)."""
        return self.cluster.log().count(
            f'connection authenticated: identity="{login.user}" method={login.method} '
        )


@pytest.fixture(scope="module")
def auth_emulator(tmp_path_factory) -> AuthEmulator:
    """The emulator in front of a throwaway cluster that checks passwords; logging at DEBUG."""
    with throwaway_postgres_cluster([login.hba_rule for login in (SCRAM, MD5, BOOKKEEPING)]) as cluster:
        conn = cluster.connect()
        with conn.cursor() as cur:
            # The method a password is stored with decides the exchange: an md5 rule with a SCRAM
            # verifier would still run SCRAM, so the md5 role's password is stored as an MD5 hash.
            for login in (SCRAM, MD5, BOOKKEEPING):
                cur.execute(f"SET password_encryption = '{login.method}'")
                verb = "ALTER" if login is BOOKKEEPING else "CREATE"
                cur.execute(f"{verb} ROLE {login.user} LOGIN PASSWORD %s", (login.password,))
            cur.execute(f"CREATE DATABASE {DATABASE}")
            cur.execute(
                "SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN %s", ((SCRAM.user, MD5.user),)
            )
            stored = dict(cur.fetchall())
        conn.close()
        assert stored[SCRAM.user].startswith("SCRAM-SHA-256$")
        assert stored[MD5.user].startswith("md5")
        upstream = DatabaseUrl(
            "postgresql", BOOKKEEPING.user, BOOKKEEPING.password, "127.0.0.1", cluster.port, DATABASE
        )
        port = processes.free_port()
        process = processes.start_redshift_emulator(
            port,
            str(upstream),
            None,
            tmp_path_factory.mktemp("password-auth") / "redshift-emulator.log",
            env={"REDSHIFT_EMULATOR_LOG_LEVEL": "DEBUG"},
        )
        try:
            yield AuthEmulator(port, process, cluster)
        finally:
            process.stop()


def run_query(conn) -> tuple:
    """Who the session is and where, as PostgreSQL sees it (closes ``conn``)."""
    return run_query_text(conn, "SELECT current_user, current_database()")


def run_query_text(conn, sql: str) -> tuple:
    """The first row of ``sql`` (closes ``conn``)."""
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return tuple(cur.fetchone())
    finally:
        conn.close()


def wait_for_history(cluster: PostgresCluster, marker: str, timeout: float = 15) -> list[tuple]:
    """(user_name, status) of the statements holding ``marker`` in sys_query_history, once the emulator
    has written them (it writes in batches, in the background)."""
    conn = cluster.connect(DATABASE)
    deadline = time.monotonic() + timeout
    try:
        with conn.cursor() as cur:
            while time.monotonic() < deadline:
                cur.execute("SELECT to_regclass('redshift_emulator.sys_query_history') IS NOT NULL")
                if cur.fetchone()[0]:
                    cur.execute(
                        "SELECT user_name, status FROM redshift_emulator.sys_query_history"
                        " WHERE query_text LIKE %s",
                        (f"%{marker}%",),
                    )
                    if rows := cur.fetchall():
                        return rows
                time.sleep(0.2)
    finally:
        conn.close()
    return []


@pytest.mark.parametrize(("connect", "login"), client_logins())
def test_right_password_logs_in_with_the_role_s_method(auth_emulator, connect, login):
    accepted = auth_emulator.authenticated(login)
    assert run_query(connect(auth_emulator.endpoint(login))) == (login.user, DATABASE)
    assert auth_emulator.authenticated(login) == accepted + 1


@pytest.mark.parametrize(("connect", "login"), client_logins())
def test_wrong_password_gets_postgresql_s_refusal_and_the_emulator_serves_on(auth_emulator, connect, login):
    already_open = psycopg2_connect(auth_emulator.endpoint(SCRAM))
    with pytest.raises(LOGIN_REFUSED) as refused:
        connect(auth_emulator.endpoint(login, WRONG_PASSWORD))
    assert f'password authentication failed for user "{login.user}"' in str(refused.value)
    if connect is redshift_connect:
        # libpq keeps no SQLSTATE for a refused connection; redshift_connector keeps every field.
        assert refused.value.args[0]["C"] == "28P01"
    assert auth_emulator.process.popen.poll() is None
    assert run_query(already_open) == (SCRAM.user, DATABASE)
    assert run_query(connect(auth_emulator.endpoint(login))) == (login.user, DATABASE)


def test_redshift_connector_cannot_scram_without_the_emulator(auth_emulator):
    """redshift_connector 2.2.0 reads AuthenticationSASL's mechanism list with data[4:-1].split(NUL), which
    leaves an empty name that scramp refuses: straight to PostgreSQL it cannot log in with SCRAM at all.
    Through the emulator it can (session.py, _on_authentication); test_right_password_... shows it."""
    straight = auth_emulator.endpoint(SCRAM)._replace(port=auth_emulator.cluster.port)
    with pytest.raises(ScramException, match="mechanism name is not supported"):
        redshift_connect(straight)


def test_bookkeeping_login_authenticates_with_its_password(auth_emulator):
    """The emulator's own connection (the --upstream login, SCRAM here) writes the query history."""
    marker = f"marker_{secrets.token_hex(4)}"
    run_query_text(psycopg2_connect(auth_emulator.endpoint(MD5)), f"SELECT 1 AS {marker}")
    assert wait_for_history(auth_emulator.cluster, marker) == [(MD5.user, "success")]
    assert auth_emulator.authenticated(BOOKKEEPING) >= 1


def test_no_password_reaches_the_emulator_log(auth_emulator):
    for case in client_logins():
        connect, login = case.values
        run_query(connect(auth_emulator.endpoint(login)))
        with pytest.raises(LOGIN_REFUSED):
            connect(auth_emulator.endpoint(login, WRONG_PASSWORD))
    log = auth_emulator.log()
    # The log does record these sessions (DEBUG), so the absence of the passwords below means something.
    assert f"session for {SCRAM.user}@{DATABASE} ready" in log
    assert f"session for {MD5.user}@{DATABASE} ready" in log
    for password in (SCRAM.password, MD5.password, BOOKKEEPING.password, WRONG_PASSWORD):
        assert password not in log
